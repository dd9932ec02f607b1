"""In-process witnesses over HTTP for tests: the real `Witness` and server, with a clock the test sets."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from yingdu.tlog import CosignerKey, VerifierKey
from yingdu.tlog.witness import Witness, make_server


@contextmanager
def witness_serving(*, cosigner_key: CosignerKey, log_keys: list[VerifierKey], state_path: Path,
                    clock: Callable[[], float]) -> Iterator[tuple[str, Witness]]:
    """Serve a witness on a free local port; yields (its URL prefix, the witness)."""
    witness = Witness(cosigner_key=cosigner_key, log_keys=log_keys, state_path=state_path, clock=clock)
    server = make_server(witness, host="127.0.0.1", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/w", witness
    finally:
        server.shutdown()
        server.server_close()
