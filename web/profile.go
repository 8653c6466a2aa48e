package web

import (
	"encoding/base64"
	"net/http"
	"unicode/utf8"

	"higate/gateway"
	"higate/registry"
)

// maxAbout is WhatsApp's limit on the about text.
const maxAbout = 139

// handleProfile sets the picture and about text of a dedicated (Enterprise)
// instance's number.
func (s *server) handleProfile(w http.ResponseWriter, r *http.Request) error {
	acct, instance, err := s.authorizeInstance(r)
	if err != nil {
		return err
	}
	if err := s.Store.CheckDedicated(acct, "a custom profile"); err != nil {
		return err
	}
	var b struct {
		Image string `json:"image"`
		About string `json:"about"`
	}
	if err := decode(w, r, mediaBodyLimit, &b); err != nil {
		return err
	}
	if b.Image == "" && b.About == "" {
		return badRequest("image or about", "give a base64 JPEG image, an about text, or both")
	}
	if utf8.RuneCountInString(b.About) > maxAbout {
		return registry.Errorf(registry.CodeBadRequest, "use at most 139 characters", "about is too long")
	}
	var p gateway.Profile
	p.About = b.About
	if b.Image != "" {
		img, err := base64.StdEncoding.DecodeString(b.Image)
		if err != nil {
			return registry.Errorf(registry.CodeBadRequest, "encode the image as standard base64", "image is not valid base64")
		}
		if http.DetectContentType(img) != "image/jpeg" {
			return registry.Errorf(registry.CodeBadRequest, "send a JPEG", "image is not a JPEG")
		}
		if len(img) > 2<<20 {
			return tooLarge("image", 2<<20)
		}
		p.Image = img
	}
	if err := s.Gateway.SetProfile(r.Context(), instance, p); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "updated"})
	return nil
}
