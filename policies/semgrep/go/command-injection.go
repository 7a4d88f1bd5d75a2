// Test cases for policies/semgrep/go/command-injection.yaml (secscan rule pack).
package main

import (
	"context"
	"fmt"
	"os/exec"
)

func ping(host string) ([]byte, error) {
	// ruleid: go-exec-shell-injection
	return exec.Command("sh", "-c", "ping -c 1 "+host).Output()
}

func archive(ctx context.Context, name string) error {
	// ruleid: go-exec-shell-injection
	return exec.CommandContext(ctx, "/bin/bash", "-c", fmt.Sprintf("tar czf /backups/%s.tgz /srv", name)).Run()
}

func pingOk(host string) ([]byte, error) {
	// ok: go-exec-shell-injection
	return exec.Command("ping", "-c", "1", host).Output()
}

func constantOk() ([]byte, error) {
	// ok: go-exec-shell-injection
	return exec.Command("sh", "-c", "uptime | cut -d, -f1").Output()
}
