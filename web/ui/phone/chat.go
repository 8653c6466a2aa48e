package phone

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/registry"
	"higate/web/ui"
)

const (
	// maxShown is how many of a conversation's latest messages the page
	// shows; a live update re-renders them all, and nobody scrolls a test
	// phone back a thousand messages.
	maxShown = 200
	// maxText is the longest message the visitor may send, in characters.
	maxText = 1000
	// sendTimeout bounds how long a send waits for a gateway number that
	// is connecting (sim.Inbound keeps the order of messages).
	sendTimeout = 10 * time.Second
)

// chatView is the data of the chat page and of its live fragments.
type chatView struct {
	User     string
	Gateway  registry.Number
	Others   []registry.Number // instance 0's other simulated numbers
	Messages []bubble
	Hidden   int    // older messages not shown
	Unread   int    // the gateway's messages not read yet
	Text     string // what the visitor typed, when it could not be sent
	Base     string // the server's URL, for the curl example
	// Version sums up what the live parts show, so the event stream sends
	// nothing until they change (patching the same HTML in would still
	// reset what the visitor was doing in them).
	Version string
}

// Events is the URL of the page's event stream, which knows what the page
// shows from it.
func (v chatView) Events() string {
	return chatURL(v.User, v.Gateway.Number) + "/events?v=" + url.QueryEscape(v.Version)
}

// Action is the URL the compose form posts to.
func (v chatView) Action() string { return chatURL(v.User, v.Gateway.Number) }

// bubble is one message as the page draws it.
type bubble struct {
	sim.ChatMessage
	Media  string // the URL of its image or document; "" if none or no longer kept
	Inline bool   // an image the page shows in place
	Size   string // its media's size, for people: "12 KB"
}

// Time is when the message was sent, as the bubble shows it (UTC).
func (b bubble) Time() string { return b.At.UTC().Format("15:04") }

// Stamp is when the message was sent, for <time datetime>.
func (b bubble) Stamp() string { return b.At.UTC().Format(time.RFC3339) }

// inlineTypes are the images the page shows in place. Anything else,
// an SVG above all (it may carry script), is offered as a download.
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

func (h *Handler) serveChat(w http.ResponseWriter, r *http.Request, c chatRequest) {
	remember(w, r, c.User)
	h.renderChat(w, r, c, http.StatusOK, "", "")
}

// renderChat renders the chat page with status, an error above it, and the
// text the visitor typed back in the compose field.
func (h *Handler) renderChat(w http.ResponseWriter, r *http.Request, c chatRequest, status int, errText, typed string) {
	v, err := h.chatView(c)
	if err != nil {
		h.internal(w, "chat", err)
		return
	}
	v.Text = typed
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	v.Base = scheme + "://" + r.Host
	h.render(w, status, "chat.html", ui.Page{Title: "Chat with " + c.Gateway.Number, Error: errText, Data: v})
}

// chatView reads the conversation and the gateway numbers.
func (h *Handler) chatView(c chatRequest) (chatView, error) {
	v := chatView{User: c.User, Gateway: c.Gateway}
	gws, err := h.gateways()
	if err != nil {
		return v, err
	}
	for _, n := range gws {
		if n.Number != c.Gateway.Number {
			v.Others = append(v.Others, n)
		}
	}
	msgs := h.Sim.Conversation(c.User, c.Gateway.Number)
	if len(msgs) > maxShown {
		v.Hidden = len(msgs) - maxShown
	}
	for _, m := range msgs {
		if m.Unread {
			v.Unread++
		}
	}
	for _, m := range msgs[v.Hidden:] {
		b := bubble{ChatMessage: m}
		if m.SHA256 != "" {
			b.Size = size(m.Size)
			if _, ok := h.Sim.Media(m.SHA256); ok {
				b.Media = "/sandbox/media/" + c.User + "/" + m.ID
				b.Inline = m.Kind == gateway.KindImage && inlineTypes[m.Mimetype]
			}
		}
		v.Messages = append(v.Messages, b)
	}
	v.Version = version(v)
	return v, nil
}

// version sums up what the live parts of v show: the gateway number's
// state, which messages, their ticks, read marks and media, and how many
// are hidden.
func version(v chatView) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s %d %d", v.Gateway.State, v.Hidden, v.Unread)
	for _, b := range v.Messages {
		fmt.Fprintf(h, "|%s %t %t %t", b.ID, b.Delivered, b.Unread, b.Media != "")
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// send is the compose form: the visitor's text goes to the gateway number
// as a message from their number. Without JavaScript the page reloads
// after it; the gateway's answer then arrives over the event stream.
func (h *Handler) send(w http.ResponseWriter, r *http.Request, c chatRequest) {
	text := r.PostFormValue("quick") // the Hi and STOP buttons
	if text == "" {
		text = strings.TrimSpace(r.PostFormValue("text"))
	}
	if why := checkText(text); why != "" {
		h.renderChat(w, r, c, http.StatusUnprocessableEntity, why, text)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), sendTimeout)
	defer cancel()
	if err := h.Sim.Inbound(ctx, c.User, c.Gateway.Number, text); err != nil {
		h.Logger.Debug("sandbox phone: send", "err", err)
		h.renderChat(w, r, c, http.StatusServiceUnavailable, "The message was not sent: "+err.Error()+". Try again.", text)
		return
	}
	remember(w, r, c.User)
	http.Redirect(w, r, chatURL(c.User, c.Gateway.Number), http.StatusSeeOther)
}

// checkText says what is wrong with a message the visitor typed, or "".
func checkText(text string) string {
	switch {
	case text == "":
		return "Type a message first."
	case !utf8.ValidString(text):
		return "The message is not valid text."
	case utf8.RuneCountInString(text) > maxText:
		return fmt.Sprintf("The message is too long: at most %d characters.", maxText)
	case strings.ContainsFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return "The message contains control characters."
	}
	return ""
}

// markRead is the visitor reading the conversation: the gateway number
// gets a read receipt for every message it sent them not yet read.
func (h *Handler) markRead(w http.ResponseWriter, r *http.Request, c chatRequest) {
	if err := h.Sim.Read(c.User, c.Gateway.Number); err != nil {
		h.renderChat(w, r, c, http.StatusServiceUnavailable, "Could not mark the messages read: "+err.Error()+".", "")
		return
	}
	http.Redirect(w, r, chatURL(c.User, c.Gateway.Number), http.StatusSeeOther)
}

// size writes n bytes for people.
func size(n int) string {
	switch {
	case n == 1:
		return "1 byte"
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.0f KB", float64(n)/1000)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1000/1000)
	}
}
