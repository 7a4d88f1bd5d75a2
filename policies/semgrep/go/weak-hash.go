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


// A row key: the issue-23 shape (feast's SQLite online store keys rows by a SHA-1 of the
// serialized entity key). Still reported, as a LOW audit hint, not a password hash.
func hashSerializedEntityKey(serializedEntityKey []byte) string {
	// ok: go-weak-password-hash
	// ruleid: go-weak-hash-sha1
	h := sha1.New()
	h.Write(serializedEntityKey)
	return hex.EncodeToString(h.Sum(nil))
}

func storePassword(password string) [16]byte {
	// ruleid: go-weak-hash-md5, go-weak-password-hash
	return md5.Sum([]byte(password))
}

func storeSecret(secret []byte) string {
	// ruleid: go-weak-hash-sha1
	h := sha1.New()
	// ruleid: go-weak-password-hash
	h.Write(secret)
	return hex.EncodeToString(h.Sum(nil))
}
