package wameow

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"higate/gateway"
)

// SetProfile sets the number's "about" text and profile picture. An empty
// About or a nil Image leaves that part unchanged. The picture must be a
// JPEG; WhatsApp crops it to a square, 640x640 shows best.
func (t *Transport) SetProfile(ctx context.Context, p gateway.Profile) error {
	if !t.ready() {
		return gateway.ErrNotConnected
	}
	if p.Image != nil && http.DetectContentType(p.Image) != "image/jpeg" {
		return errors.New("wameow: the profile picture must be a JPEG")
	}
	if p.About != "" {
		if err := t.client.SetStatusMessage(ctx, p.About); err != nil {
			return profileError("set about text", err)
		}
	}
	if p.Image != nil {
		if err := t.client.SetProfilePhoto(ctx, p.Image); err != nil {
			return profileError("set profile picture", err)
		}
	}
	t.log.Info("profile updated", "about", p.About != "", "picture", p.Image != nil)
	return nil
}

// profileError keeps "not connected" recognisable and wraps the rest; a
// refused profile change is not a refused message, so no SendError.
func profileError(op string, err error) error {
	if errors.Is(classify(op, err), gateway.ErrNotConnected) {
		return gateway.ErrNotConnected
	}
	return fmt.Errorf("wameow: %s: %w", op, err)
}
