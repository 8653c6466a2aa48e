package lang_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"higate/lang"
)

// spellings returns the ways people send s: cased, widened, decomposed,
// wrapped in punctuation, emoji, whitespace and invisible characters.
func spellings(s string) []string {
	r, n := utf8.DecodeRuneInString(s)
	title := string(unicode.ToUpper(r)) + s[n:]
	return []string{
		s,
		strings.ToUpper(s),
		title,
		wide(s),
		wide(strings.ToUpper(s)),
		norm.NFD.String(s),
		norm.NFD.String(strings.ToUpper(s)),
		"  " + title + "  ",
		"\t" + s + "\n",
		title + "!!",
		title + "!!!",
		"¡" + title + "!",
		title + "?",
		title + "...",
		`"` + s + `"`,
		"«" + s + "»",
		title + " 👋",
		title + " 👋🏽",
		"👋 " + s + " 🙂",
		s + " ❤️",
		"🇳🇱 " + s,
		s + "\u200d",
		"\u200f" + s + "\u200f", // right-to-left marks
		"\ufeff" + s,            // byte order mark
		s + "\u3000",            // ideographic space
		s + "！",                 // fullwidth exclamation
		s + "。",                 // ideographic full stop
	}
}

// wide spells the ASCII letters of s in their fullwidth forms.
func wide(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' {
			return r - 'A' + 'Ａ'
		}
		return r
	}, s)
}

var (
	zh     = language.Chinese
	zhHant = language.TraditionalChinese
	en     = language.English
	ar     = language.Arabic
	nl     = language.Dutch
	fr     = language.French
	de     = language.German
	he     = language.Hebrew
	hi     = language.Hindi
	id     = language.Indonesian
	it     = language.Italian
	ja     = language.Japanese
	pt     = language.Portuguese
	ru     = language.Russian
	es     = language.Spanish
	uk     = language.Ukrainian
)

// TestClassifyWords checks every word in the tables, in many spellings,
// from a sender whose country does not decide (so each word's default).
func TestClassifyWords(t *testing.T) {
	tests := []struct {
		intent lang.Intent
		tag    language.Tag
		words  []string
	}{
		{lang.Greeting, en, []string{"Hi", "Hello", "Hey", "Hiya", "Howdy", "Hi there",
			"Hello there", "Hey there", "Good morning", "Good afternoon", "Good evening"}},
		{lang.Greeting, ar, []string{"مرحبا", "مرحباً", "مرحبًا", "مرحـــبا", "ﻡﺮﺤﺑﺍ", "أهلا",
			"اهلا", "أهلاً وسهلاً", "هلا", "هاي", "السلام عليكم", "السَّلَامُ عَلَيْكُمْ", "سلام",
			"Marhaba", "Salam"}},
		{lang.Greeting, zh, []string{"你好", "您好", "嗨", "哈喽", "Ni hao", "Nihao"}},
		{lang.Greeting, zhHant, []string{"安安", "哈囉", "Ching"}},
		{lang.Greeting, nl, []string{"Hoi", "Goedemorgen", "Goedendag", "Goedemiddag",
			"Goedenavond"}},
		{lang.Greeting, fr, []string{"Salut", "Bonjour", "Bonsoir", "Coucou"}},
		{lang.Greeting, de, []string{"Hallo", "Guten Tag", "Guten Morgen", "Servus", "Moin",
			"Grüß Gott", "Grüss Gott", "Gruss Gott", "Grüezi"}},
		{lang.Greeting, he, []string{"היי", "הי", "שלום", "שָׁלוֹם", "שﬥוﬦ", "Shalom"}},
		{lang.Greeting, hi, []string{"नमस्ते", "नमस्कार", "हेलो", "हैलो", "हाय", "Namaste",
			"Namaskar"}},
		{lang.Greeting, id, []string{"Hai", "Halo", "Selamat pagi", "Selamat siang",
			"Selamat sore", "Selamat malam"}},
		{lang.Greeting, it, []string{"Ciao", "Salve", "Buongiorno", "Buonasera"}},
		{lang.Greeting, ja, []string{"こんにちは", "こんにちわ", "ハイ", "ﾊｲ", "ハロー", "ﾊﾛｰ",
			"やあ", "おはよう", "Konnichiwa"}},
		{lang.Greeting, pt, []string{"Oi", "Oie", "Olá", "Ola\u0301", "Ola", "Bom dia",
			"Boa tarde"}},
		{lang.Greeting, ru, []string{"Привет", "Здравствуй", "Здравствуйте", "Здравствуи\u0306те",
			"Здрасте", "Здрасьте", "Добрый день", "Доброе утро", "Privet", "Хай"}},
		{lang.Greeting, es, []string{"Hola", "Buenas", "Buenos días", "Buenos dias",
			"Buenas tardes"}},
		{lang.Greeting, uk, []string{"Привіт", "Вітаю", "Добрий день", "Доброго дня", "Pryvit"}},

		{lang.OptOut, en, []string{"STOP", "Unsubscribe", "Unsub", "STOPALL", "Stop all",
			"Cancel", "End", "Quit", "Opt out", "Optout", "Opt-out"}},
		{lang.OptOut, ar, []string{"توقف", "ﺗﻮﻗﻒ", "إلغاء الاشتراك", "الغاء الاشتراك", "إلغاء",
			"إيقاف", "ايقاف"}},
		{lang.OptOut, zh, []string{"停止", "退订", "取消订阅", "退出", "TD"}},
		{lang.OptOut, zhHant, []string{"退訂", "取消訂閱"}},
		{lang.OptOut, nl, []string{"AFMELDEN", "Stoppen", "Uitschrijven"}},
		{lang.OptOut, fr, []string{"ARRÊTER", "Arrêter", "ARRETER", "Arrêt", "Désabonner",
			"Se désabonner", "Me désabonner", "Désinscrire", "Désinscription"}},
		{lang.OptOut, de, []string{"ABMELDEN", "STOPP", "Austragen", "Abbestellen"}},
		{lang.OptOut, he, []string{"הסר", "ﬣסﬧ", "עצור", "הסרה", "הפסק"}},
		{lang.OptOut, hi, []string{"रोकें", "रोको", "बंद करो", "बंद करें", "बंद",
			"सदस्यता रद्द करें"}},
		{lang.OptOut, id, []string{"BERHENTI", "Berhenti langganan", "UNREG", "Batal"}},
		{lang.OptOut, it, []string{"BASTA", "DISISCRIVI", "Disiscriviti", "Cancellami",
			"Annulla iscrizione"}},
		{lang.OptOut, ja, []string{"ストップ", "ｽﾄｯﾌﾟ", "ストッフ\u309a", "配信停止", "配信解除", "解除"}},
		{lang.OptOut, pt, []string{"PARAR", "SAIR", "Descadastrar"}},
		{lang.OptOut, ru, []string{"СТОП", "Отписаться", "Отписка", "Отменить подписку",
			"Хватит"}},
		{lang.OptOut, es, []string{"ALTO", "BAJA", "Dar de baja", "Darme de baja",
			"Darse de baja", "Detener", "Cancelar"}},
		{lang.OptOut, uk, []string{"ВІДПИСАТИСЯ", "Відписка", "Скасувати підписку"}},
	}
	for _, tt := range tests {
		for _, w := range tt.words {
			t.Run(tt.tag.String()+"/"+w, func(t *testing.T) {
				for _, s := range spellings(w) {
					intent, tag := lang.Classify(s, "")
					if intent != tt.intent || tag != tt.tag {
						t.Errorf("Classify(%q) = %v, %v; want %v, %v", s, intent, tag, tt.intent, tt.tag)
					}
				}
			})
		}
	}
}

// TestClassifyCountry checks that the sender's calling code decides between
// the languages that share a word, and gives STOP its language.
func TestClassifyCountry(t *testing.T) {
	tests := []struct {
		text, sender string
		intent       lang.Intent
		tag          language.Tag
	}{
		{"Hallo", "+31612345678", lang.Greeting, nl},
		{"Hallo", "+32470123456", lang.Greeting, nl},
		{"Hallo", "+4915112345678", lang.Greeting, de},
		{"Hallo", "+436641234567", lang.Greeting, de},
		{"Hallo", "+41791234567", lang.Greeting, de},
		{"Hallo", "+6281234567890", lang.Greeting, id},
		{"Hallo", "+447700900123", lang.Greeting, de}, // default
		{"Hoi", "+41791234567", lang.Greeting, de},
		{"Hoi", "+31612345678", lang.Greeting, nl},
		{"Hoi", "+15551234567", lang.Greeting, nl}, // default
		{"Hai", "+6281234567890", lang.Greeting, id},
		{"Hai", "+447700900123", lang.Greeting, en},
		{"Hai", "+33612345678", lang.Greeting, id}, // default
		{"你好", "+886912345678", lang.Greeting, zhHant},
		{"你好", "+85291234567", lang.Greeting, zhHant},
		{"你好", "+8613800138000", lang.Greeting, zh},
		{"你好", "+15551234567", lang.Greeting, zh}, // default
		{"Хай", "+380501234567", lang.Greeting, uk},
		{"Hi", "+4915112345678", lang.Greeting, en}, // the word decides, not the country
		{"Hola", "+5511912345678", lang.Greeting, es},
		{"停止", "+819012345678", lang.OptOut, ja},
		{"停止", "+886912345678", lang.OptOut, zhHant},
		{"停止", "+4915112345678", lang.OptOut, zh}, // default
		{"СТОП", "+380501234567", lang.OptOut, uk},
		{"СТОП", "+79161234567", lang.OptOut, ru},
		{"СТОП", "+4915112345678", lang.OptOut, ru}, // default
		{"Stoppen", "+4915112345678", lang.OptOut, de},
		{"Parar", "+34612345678", lang.OptOut, es},
		{"Parar", "+5511912345678", lang.OptOut, pt},
		{"Basta", "+34612345678", lang.OptOut, es},
		{"Basta", "+393123456789", lang.OptOut, it},
		{"Cancelar", "+5511912345678", lang.OptOut, pt},
		{"STOP", "+31612345678", lang.OptOut, nl},
		{"STOP", "+33612345678", lang.OptOut, fr},
		{"STOP", "+819012345678", lang.OptOut, ja},
		{"STOP", "+886912345678", lang.OptOut, zhHant},
		{"STOP", "+79161234567", lang.OptOut, ru},
		{"STOP", "+77011234567", lang.OptOut, ru}, // Kazakhstan shares +7
		{"STOP", "+15551234567", lang.OptOut, en},
		{"STOP", "+17875551234", lang.OptOut, es},  // Puerto Rico: longest prefix wins
		{"STOP", "+15145551234", lang.OptOut, fr},  // Montreal
		{"STOP", "+998901234567", lang.OptOut, en}, // Uzbekistan: unsupported, English
		{"STOP", "", lang.OptOut, en},
		{"STOP", "not a number", lang.OptOut, en},
		{"STOP", "4915112345678@s.whatsapp.net", lang.OptOut, de},
		{"STOP", "0049 151 1234 5678", lang.OptOut, de},
		{"STOP", "+1 (787) 555-1234", lang.OptOut, es},
		// A filler of one of a shared word's languages beats the country,
		// since the text shows which language the sender writes.
		{"Hallo allemaal", "+4915112345678", lang.Greeting, nl},
		{"Hallo zusammen", "+31612345678", lang.Greeting, de},
		{"Hallo semua", "+31612345678", lang.Greeting, id},
		{"Hallo, hoi", "+31612345678", lang.Greeting, nl}, // both words are Dutch and German
		{"Hallo, hoi", "+15551234567", lang.Greeting, de}, // the first word's default
		{"Stop bitte", "+31612345678", lang.OptOut, de},
		{"Stop please", "+4915112345678", lang.OptOut, en},
		{"Stop por favor", "+5511912345678", lang.OptOut, pt},
		{"Stop por favor", "+34612345678", lang.OptOut, es},
		{"Stop por favor", "+4915112345678", lang.OptOut, es}, // por favor's default
		{"停止してください", "+8613800138000", lang.OptOut, ja},
		{"停止 请", "+819012345678", lang.OptOut, zh},
		{"STOP STOP", "+31612345678", lang.OptOut, nl},
		// A filler of another language narrows nothing.
		{"Hi zusammen", "+4915112345678", lang.Greeting, en},
		{"Hola everyone", "+447700900123", lang.Greeting, es},
		{"Hallo guys", "+31612345678", lang.Greeting, nl},
	}
	for _, tt := range tests {
		t.Run(tt.text+" "+tt.sender, func(t *testing.T) {
			intent, tag := lang.Classify(tt.text, tt.sender)
			if intent != tt.intent || tag != tt.tag {
				t.Errorf("Classify(%q, %q) = %v, %v; want %v, %v",
					tt.text, tt.sender, intent, tag, tt.intent, tt.tag)
			}
		})
	}
}

// TestClassifyRepeats checks the documented tolerance for stretched and
// repeated words, up to 8.
func TestClassifyRepeats(t *testing.T) {
	tests := []struct {
		text   string
		intent lang.Intent
		tag    language.Tag
	}{
		{"hiii", lang.Greeting, en},
		{"Heyyyy!", lang.Greeting, en},
		{"holaaaa 👋", lang.Greeting, es},
		{"Hallooo", lang.Greeting, de},
		{"Oiii", lang.Greeting, pt},
		{"STOPPPP", lang.OptOut, en},
		{"hi hi", lang.Greeting, en},
		{"Hi! Hi!", lang.Greeting, en},
		{"hi, hii", lang.Greeting, en},
		{"hi 👋 hi", lang.Greeting, en},
		{"hi ❤️ hi", lang.Greeting, en},
		{"Hola hola hola", lang.Greeting, es},
		{"你好你好", lang.Greeting, zh},
		{"你好！你好！", lang.Greeting, zh},
		{"安安安安", lang.Greeting, zhHant},
		{"安安安", lang.Greeting, zhHant},
		{"ハイハイ", lang.Greeting, ja},
		{"stop stop", lang.OptOut, en},
		{"hi hello", lang.Greeting, en},          // different greetings together
		{"hi there hi there", lang.Greeting, en}, // a greeting with its filler, twice
		{"hi " + strings.Repeat("hi ", 7), lang.Greeting, en},
		{"安安 你好", lang.Greeting, zhHant},
		{"你好你好你好你好你好你好你好你好", lang.Greeting, zh},
		{"hі", lang.Greeting, en},    // Cyrillic і on a mixed keyboard
		{"НI", lang.Greeting, en},    // Cyrillic Н, Latin I
		{"ЅТOP", lang.OptOut, en},    // Cyrillic Ѕ and Т, Latin OP
		{"hеllo", lang.Greeting, en}, // Cyrillic е
	}
	for _, tt := range tests {
		intent, tag := lang.Classify(tt.text, "")
		if intent != tt.intent || tag != tt.tag {
			t.Errorf("Classify(%q) = %v, %v; want %v, %v", tt.text, intent, tag, tt.intent, tt.tag)
		}
	}
}

// TestClassifyNone checks text that only contains a greeting or opt-out
// word, or looks like one, is neither.
func TestClassifyNone(t *testing.T) {
	for _, text := range []string{
		"", "   ", "!!!", "👋", "👋🏽❤️", "\u0301",
		"Hi, what are your prices?",
		"hi what are your prices",
		"Hello world",
		"hi there how are you",
		"Hola, ¿cómo estás?",
		"Bonjour, je voudrais un rendez-vous",
		"你好，请问价格是多少？",
		"Привет, как дела?",
		"I said hi",
		"stop it", // "it" is not a filler: "cancel it" may mean an order
		"don't stop",
		"stopwatch", "nonstop", "hill", "his", "ohi", "hi5", "h i",
		"hihi",    // laughter, not a repeated greeting
		"hi stop", // a greeting and an opt-out
		strings.Repeat("hi ", 9),
		"ні", // Ukrainian "no": Cyrillic only, never read as Latin
		"はい", // "yes"
		"Shalom aleichem",
		"hi" + strings.Repeat(" ", 1100), // longer than any greeting
	} {
		if intent, tag := lang.Classify(text, "+31612345678"); intent != lang.None || tag != language.Und {
			t.Errorf("Classify(%q) = %v, %v; want none, und", text, intent, tag)
		}
	}
}

func TestForSender(t *testing.T) {
	tests := []struct {
		sender string
		want   language.Tag
	}{
		{"+31612345678", nl},
		{"31612345678", nl},
		{"+17875551234", es},
		{"+15551234567", en},
		{"+998901234567", language.Und},
		{"+", language.Und},
		{"", language.Und},
		{"0612345678", language.Und}, // national format tells no country
		{"abc", language.Und},
	}
	for _, tt := range tests {
		if got := lang.ForSender(tt.sender); got != tt.want {
			t.Errorf("ForSender(%q) = %v; want %v", tt.sender, got, tt.want)
		}
	}
}

func TestIntentString(t *testing.T) {
	for intent, want := range map[lang.Intent]string{
		lang.None: "none", lang.Greeting: "greeting", lang.OptOut: "opt-out", 7: "unknown",
	} {
		if got := intent.String(); got != want {
			t.Errorf("Intent(%d).String() = %q; want %q", int(intent), got, want)
		}
	}
}
