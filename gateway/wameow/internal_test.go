package wameow

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
)

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"+4915112345678": "+49********678",
		"+15551234567":   "+15******567",
		"12345":          "*****",
		"":               "",
	} {
		if got := mask(in); got != want {
			t.Errorf("mask(%q) = %q, want %q", in, got, want)
		}
	}
}

// whatsmeow puts JIDs in its lines; above debug they must be masked.
func TestWhatsmeowLogMasksNumbers(t *testing.T) {
	var buf bytes.Buffer
	l := slogLogger{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Sub("Client").Infof("Successfully paired %s", "4915112345678:12@s.whatsapp.net")
	l.Warnf("error %d", 463)
	l.Debugf("debug keeps %s", "4915112345678")
	out := buf.String()
	if strings.Count(out, "4915112345678") != 1 || !strings.Contains(out, "49********678:12@s.whatsapp.net") {
		t.Fatalf("log = %s", out)
	}
	if !strings.Contains(out, "error 463") || !strings.Contains(out, "module=Client") {
		t.Fatalf("log lost detail: %s", out)
	}
}

func TestWrongPhoneRefused(t *testing.T) {
	tr := &Transport{digits: "4915100000001", number: "+4915100000001", log: slog.New(slog.DiscardHandler)}
	if !tr.checkPairingPhone(types.NewADJID("4915100000001", 0, 0)) {
		t.Fatal("the gateway number's own phone was refused")
	}
	if tr.checkPairingPhone(types.NewADJID("4917699998888", 0, 0)) {
		t.Fatal("another phone was accepted")
	}
	msg := tr.pairErrorMessage(whatsmeow.ErrPairRejectedLocally)
	if !strings.Contains(msg, "+49********888") || !strings.Contains(msg, "+4915100000001") {
		t.Fatalf("message = %q, want both numbers (the stranger's masked)", msg)
	}
}
