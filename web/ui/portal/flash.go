package portal

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"higate/web/ui"
)

// A flash is a one-off notice for the page after a redirect (a form was
// saved, a session ended). The cookie carries only a code and a number,
// never text, so nothing another site manages to set can put words on a
// page; the words are here.
const (
	flashCookie    = "higate_portal_flash"
	flashEnded     = "ended"
	flashSuspended = "suspended"
	flashExpired   = "expired"
	flashSignedOut = "signed-out"
	flashSaved     = "webhook-saved"
	flashTested    = "webhook-test" // :status, 0 when unreachable
	flashReplayed  = "replayed"     // :count
)

// flashText is each code's words; %d is the number that came with it.
var flashText = map[string]string{
	flashEnded:     "Your session has ended (unused for a while, signed out, or the secret was rotated). Please sign in again.",
	flashSuspended: "The account is suspended: contact the operator.",
	flashExpired:   "The account has expired: renew your plan.",
	flashSignedOut: "You are signed out.",
	flashSaved:     "Webhook settings saved.",
	flashTested:    "Test ping sent: your receiver answered HTTP %d.",
	flashReplayed:  "Webhook switched on again; %d failed deliveries are being sent again, in order.",
}

// setFlash leaves a notice for the next page the browser shows.
func setFlash(w http.ResponseWriter, r *http.Request, code string, n ...int) {
	if len(n) > 0 {
		code += ":" + strconv.Itoa(n[0])
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: code, Path: Prefix, MaxAge: 60,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// takeFlash puts the notice left for this page, if any, on page (as an
// error when it says the account cannot sign in), and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request, page *ui.Page) {
	text := flash(w, r)
	switch {
	case text == "":
	case text == flashText[flashSuspended] || text == flashText[flashExpired]:
		page.Error = text
	default:
		page.Flash = text
	}
}

func flash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: Prefix, MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	code, num, hasNum := strings.Cut(c.Value, ":")
	text, ok := flashText[code]
	if !ok {
		return ""
	}
	if !hasNum {
		return text
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return ""
	}
	if code == flashTested && n == 0 {
		return "Test ping sent, but your receiver could not be reached."
	}
	return fmt.Sprintf(text, n)
}
