package web_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode"

	"higate/gateway/sim"
)

// TestGreetingsRegisterInTheirLanguage: each greeting from a sender in a
// matching country registers them and the confirmation comes back in that
// language's script.
func TestGreetingsRegisterInTheirLanguage(t *testing.T) {
	e := newEnv(t)
	latin, han := []*unicode.RangeTable{unicode.Latin}, []*unicode.RangeTable{unicode.Han}
	japanese := []*unicode.RangeTable{unicode.Hiragana, unicode.Katakana, unicode.Han}
	for _, c := range []struct {
		from, greeting, lang string
		script               []*unicode.RangeTable
		word                 string // a word the reply must contain, for languages sharing a script
	}{
		{"+12025550111", "Hello", "en", latin, ""},
		{"+971501234567", "مرحبا", "ar", []*unicode.RangeTable{unicode.Arabic}, ""},
		{"+8613812345678", "你好", "zh", han, ""},
		{"+886912345678", "安安", "zh-Hant", han, ""},
		{"+31612345678", "Hallo", "nl", latin, "AFMELDEN"},
		{"+4915112345678", "Hallo", "de", latin, "STOPP"},
		{"+33612345678", "Salut", "fr", latin, ""},
		{"+972501234567", "שלום", "he", []*unicode.RangeTable{unicode.Hebrew}, ""},
		{"+919812345678", "नमस्ते", "hi", []*unicode.RangeTable{unicode.Devanagari}, ""},
		{"+6281234567890", "Hai", "id", latin, "BERHENTI"},
		{"+393123456789", "Ciao", "it", latin, ""},
		{"+819012345678", "こんにちは", "ja", japanese, ""},
		{"+819022345678", "ﾊｲ", "ja", japanese, ""},
		{"+5511912345678", "Olá", "pt", latin, "SAIR"},
		{"+79161234567", "Здравствуйте", "ru", []*unicode.RangeTable{unicode.Cyrillic}, ""},
		{"+34612345678", "¡Hola!", "es", latin, "BAJA"},
		{"+380501234567", "Привіт", "uk", []*unicode.RangeTable{unicode.Cyrillic}, "ВІДПИСАТИСЯ"},
	} {
		t.Run(c.lang+" "+c.greeting, func(t *testing.T) {
			from := c.from
			e.greet(from, sandboxGW, c.greeting)
			got := e.waitMessages(from, 1, func(sim.Message) bool { return true })[0]
			reg, err := e.store.Registration(sandboxGW, from)
			if err != nil || !reg.Active() || reg.Lang != c.lang {
				t.Fatalf("registration %+v %v, want lang %s", reg, err, c.lang)
			}
			letters, inScript := 0, 0
			for _, r := range got.Text {
				if unicode.IsLetter(r) {
					letters++
					if unicode.In(r, c.script...) {
						inScript++
					}
				}
			}
			if inScript*2 < letters {
				t.Fatalf("confirmation not mostly in the script: %q", got.Text)
			}
			if c.word != "" && !strings.Contains(got.Text, c.word) {
				t.Fatalf("confirmation %q lacks %q", got.Text, c.word)
			}
		})
	}
}

func TestSentenceGetsHintOnceADay(t *testing.T) {
	e := newEnv(t)
	from := "+4915112340000"
	e.greet(from, sandboxGW, "Hi, what are your prices?")
	hint := e.waitMessages(from, 1, func(sim.Message) bool { return true })[0]
	if _, err := e.store.Registration(sandboxGW, from); err == nil {
		t.Fatal("a sentence registered the sender")
	}
	e.greet(from, sandboxGW, "Hello? Anyone?")
	e.greet(from, sandboxGW, "Hallo") // registers: its confirmation is the next message
	e.waitMessages(from, 2, func(sim.Message) bool { return true })
	if got := e.net.Messages(from); len(got) != 2 || got[1].Text == hint.Text {
		t.Fatalf("a second hint the same day: %+v", got)
	}
	e.clock.Advance(25 * 60 * 60 * 1e9)
	e.greet(from, sandboxGW, "Wie viel kostet das?")
	got := e.waitMessages(from, 3, func(sim.Message) bool { return true })
	if !strings.Contains(got[2].Text, "STOPP") { // the hint in German, the registration's language
		t.Fatalf("next day's hint %q", got[2].Text)
	}
}

func TestEmoticonsBecomeEmoji(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	for _, text := range []string{"api: Good job! (y)", "api: http://x.io/a:-)b"} {
		if r := e.send(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": user, "message": text}); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	}
	got := e.waitMessages(user, 2, fromAPI)
	if got[0].Text != "api: Good job! 👍" || got[1].Text != "api: http://x.io/a:-)b" {
		t.Fatalf("%q %q", got[0].Text, got[1].Text)
	}
}

// TestCaptionEmoticonsBecomeEmoji: image and document captions get the same
// emoticon conversion as text, and keep shortcuts inside URLs as typed.
func TestCaptionEmoticonsBecomeEmoji(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	for _, c := range []struct{ kind, path string }{
		{"image", "/v3/whatsapp/single/image/message/0"},
		{"document", "/v3/whatsapp/single/document/message/0"},
	} {
		body := map[string]any{"number": user, "caption": "api: Nice :D see http://x.com/:D (y)"}
		if c.kind == "image" {
			body["image"] = base64.StdEncoding.EncodeToString(pngBytes)
		} else {
			body["document"], body["filename"] = base64.StdEncoding.EncodeToString(pdfBytes), "report.pdf"
		}
		if r := e.send(a, c.path, body); r.status != 200 {
			t.Fatalf("%s: %d %s", c.kind, r.status, r.raw)
		}
	}
	for _, m := range e.waitMessages(user, 2, fromAPI) {
		if m.Caption != "api: Nice 😃 see http://x.com/:D 👍" {
			t.Errorf("%s caption %q", m.Kind, m.Caption)
		}
	}
}
