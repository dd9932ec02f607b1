"""影都算力券服务平台 — the Huairou compute-voucher platform for AI short dramas."""
