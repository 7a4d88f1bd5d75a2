// Test cases for policies/semgrep/go/tls.yaml (secscan rule pack).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
)

func insecureClient() *http.Client {
	tr := &http.Transport{
		// ruleid: go-tls-insecure-skip-verify
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
	return &http.Client{Transport: tr}
}

func insecureAssign(cfg *tls.Config) {
	// ruleid: go-tls-insecure-skip-verify
	cfg.InsecureSkipVerify = true
}

func secureClient(pool *x509.CertPool) *http.Client {
	tr := &http.Transport{
		// ok: go-tls-insecure-skip-verify
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	return &http.Client{Transport: tr}
}

func oldTLS() *tls.Config {
	// ruleid: go-tls-min-version-too-low
	return &tls.Config{MinVersion: tls.VersionTLS10}
}

func oldTLSAssign(cfg *tls.Config) {
	// ruleid: go-tls-min-version-too-low
	cfg.MinVersion = tls.VersionTLS11
}

func modernTLS() *tls.Config {
	// ok: go-tls-min-version-too-low
	return &tls.Config{MinVersion: tls.VersionTLS13}
}
