// tileclient reads a yingdu log through its C2SP tlog-tiles API with golang.org/x/mod/sumdb/tlog and
// golang.org/x/mod/sumdb/note, an implementation the project did not write (Debian golang-golang-x-mod-dev,
// built in GOPATH mode). It verifies the checkpoint's signature, checks every tile it reads against the
// checkpoint's root hash (tlog.TileHashReader), proves and checks the inclusion of every entry of every entry
// bundle (tlog.ProveRecord, tlog.CheckRecord) and, given an older size and root, the consistency of the tree.
//
// Usage: tileclient PREFIX VERIFIER_KEY [OLD_SIZE OLD_ROOT_BASE64]
// PREFIX is the tlog-tiles prefix, e.g. http://127.0.0.1:8000/api/v1/log
package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileReader fetches tiles over HTTP and keeps those it has verified (SaveTiles), as a tile client would.
type tileReader struct {
	prefix string
	saved  map[string][]byte
}

func (r tileReader) Height() int { return 8 }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	var data [][]byte
	for _, t := range tiles {
		// Go's tile paths are tile/<H>/<L>/<N>[.p/<W>]; C2SP tlog-tiles drops the height.
		path := strings.TrimPrefix(t.Path(), "tile/8/")
		if body, ok := r.saved[path]; ok {
			data = append(data, body)
			continue
		}
		body, err := get(r.prefix + "/tile/" + path)
		if err != nil {
			return nil, err
		}
		data = append(data, body)
	}
	return data, nil
}

func (r tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		r.saved[strings.TrimPrefix(t.Path(), "tile/8/")] = data[i]
	}
}

func get(url string) ([]byte, error) {
	response, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	if response.StatusCode != 200 {
		return nil, fmt.Errorf("%s: HTTP %d", url, response.StatusCode)
	}
	return io.ReadAll(response.Body)
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 5 {
		fail("usage: tileclient PREFIX VERIFIER_KEY [OLD_SIZE OLD_ROOT_BASE64]")
	}
	prefix, vkey := strings.TrimRight(os.Args[1], "/"), os.Args[2]
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	signed, err := get(prefix + "/checkpoint")
	if err != nil {
		fail("checkpoint: %v", err)
	}
	opened, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(opened.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint has fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("checkpoint root hash: %v", err)
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	tree := tlog.Tree{N: size, Hash: root}
	hashes := tlog.TileHashReader(tree, tileReader{prefix, map[string][]byte{}})

	computed, err := tlog.TreeHash(size, hashes)
	if err != nil || computed != root {
		fail("tree hash from tiles: %v (computed %v, checkpoint %v)", err, computed, root)
	}
	for start := int64(0); start < size; start += 256 {
		width := size - start
		bundlePath := fmt.Sprintf("%s/tile/entries/%s", prefix, strings.TrimPrefix(
			tlog.Tile{H: 8, L: 0, N: start / 256, W: int(min64(width, 256))}.Path(), "tile/8/0/"))
		bundle, err := get(bundlePath)
		if err != nil {
			fail("entry bundle: %v", err)
		}
		for n := start; n < start+min64(width, 256); n++ {
			if len(bundle) < 2 {
				fail("entry bundle at %d ends early", n)
			}
			length := int(bundle[0])<<8 | int(bundle[1])
			if len(bundle) < 2+length {
				fail("entry bundle at %d ends inside an entry", n)
			}
			entry := bundle[2 : 2+length]
			bundle = bundle[2+length:]
			proof, err := tlog.ProveRecord(size, n, hashes)
			if err != nil {
				fail("prove record %d: %v", n, err)
			}
			if err := tlog.CheckRecord(proof, size, root, n, tlog.RecordHash(entry)); err != nil {
				fail("record %d: %v", n, err)
			}
		}
		if len(bundle) != 0 {
			fail("entry bundle from %d has trailing bytes", start)
		}
	}
	if len(os.Args) == 5 {
		oldSize, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil {
			fail("old size: %v", err)
		}
		oldRootBytes, err := base64.StdEncoding.DecodeString(os.Args[4])
		if err != nil || len(oldRootBytes) != tlog.HashSize {
			fail("old root: %v", err)
		}
		var oldRoot tlog.Hash
		copy(oldRoot[:], oldRootBytes)
		proof, err := tlog.ProveTree(size, oldSize, hashes)
		if err != nil {
			fail("prove tree: %v", err)
		}
		if err := tlog.CheckTree(proof, size, root, oldSize, oldRoot); err != nil {
			fail("consistency with size %d: %v", oldSize, err)
		}
	}
	fmt.Printf("OK: %s at tree size %d: every tile matches the root and every entry is included\n", lines[0], size)
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}
