// Test cases for policies/semgrep/go/weak-hash.yaml (secscan rule pack).
package main

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

func etag(body []byte) string {
	// ruleid: go-weak-hash-md5
	sum := md5.Sum(body)
	return hex.EncodeToString(sum[:])
}

func hasher() hash.Hash {
	// ruleid: go-weak-hash-md5
	return md5.New()
}

func sign(body []byte) [20]byte {
	// ruleid: go-weak-hash-sha1
	return sha1.Sum(body)
}

func strong(body []byte) [32]byte {
	// ok: go-weak-hash-md5
	return sha256.Sum256(body)
}

func strongHasher() hash.Hash {
	// ok: go-weak-hash-sha1
	return sha256.New()
}
