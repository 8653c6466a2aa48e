package lang

import (
	"golang.org/x/text/language"
)

// callingCodes maps an E.164 country calling code, or a longer prefix where a
// territory inside a shared code speaks another language, to the language
// most of its people would expect a reply in. It only lists places whose
// main language is one Higate supports; everyone else gets a word's default.
// The table is data, not a phone number library: the longest listed prefix
// of the number's digits wins, so +1 787 (Puerto Rico) beats +1.
var callingCodes = map[string]string{
	// English
	"1": "en", "44": "en", "61": "en", "64": "en", "353": "en", "27": "en",
	"234": "en", "233": "en", "254": "en", "256": "en", "255": "en", "260": "en",
	"263": "en", "265": "en", "267": "en", "231": "en", "232": "en", "220": "en",
	"63": "en", "65": "en", "356": "en", "1876": "en",
	// Quebec area codes, where French is the majority language.
	"1418": "fr", "1438": "fr", "1450": "fr", "1514": "fr", "1579": "fr",
	"1581": "fr", "1819": "fr", "1873": "fr", "1367": "fr", "1468": "fr",
	// Spanish-speaking parts of the North American plan.
	"1787": "es", "1939": "es", "1809": "es", "1829": "es", "1849": "es",
	// Arabic
	"20": "ar", "212": "ar", "213": "ar", "216": "ar", "218": "ar", "222": "ar",
	"249": "ar", "961": "ar", "962": "ar", "963": "ar", "964": "ar", "965": "ar",
	"966": "ar", "967": "ar", "968": "ar", "970": "ar", "971": "ar", "973": "ar",
	"974": "ar",
	// Chinese: the mainland writes Simplified, Taiwan, Hong Kong and Macau
	// Traditional.
	"86": "zh", "886": "zh-Hant", "852": "zh-Hant", "853": "zh-Hant",
	// Dutch. Belgium is majority Dutch-speaking.
	"31": "nl", "32": "nl", "597": "nl", "297": "nl", "599": "nl",
	// French
	"33": "fr", "377": "fr", "352": "fr", "225": "fr", "221": "fr", "223": "fr",
	"226": "fr", "227": "fr", "228": "fr", "229": "fr", "224": "fr", "237": "fr",
	"241": "fr", "242": "fr", "243": "fr", "261": "fr", "262": "fr", "509": "fr",
	"590": "fr", "594": "fr", "596": "fr", "687": "fr", "689": "fr",
	// German. Switzerland is majority German-speaking.
	"49": "de", "43": "de", "41": "de", "423": "de",
	// Hebrew, Hindi, Indonesian, Japanese
	"972": "he", "91": "hi", "62": "id", "81": "ja",
	// Italian
	"39": "it", "378": "it",
	// Portuguese
	"55": "pt", "351": "pt", "244": "pt", "258": "pt", "238": "pt", "245": "pt",
	"239": "pt", "670": "pt",
	// Russian, including neighbours where it is the common language.
	"7": "ru", "375": "ru",
	// Spanish
	"34": "es", "52": "es", "54": "es", "56": "es", "57": "es", "58": "es",
	"51": "es", "53": "es", "591": "es", "593": "es", "595": "es", "598": "es",
	"502": "es", "503": "es", "504": "es", "505": "es", "506": "es", "507": "es",
	"240": "es",
	// Ukrainian
	"380": "uk",
}

// maxCodeLen is the longest key in callingCodes.
const maxCodeLen = 4

// countryLanguage is callingCodes parsed once at start-up.
var countryLanguage = func() map[string]language.Tag {
	m := make(map[string]language.Tag, len(callingCodes))
	for code, tag := range callingCodes {
		if len(code) > maxCodeLen {
			panic("lang: calling code longer than maxCodeLen: " + code)
		}
		m[code] = language.MustParse(tag)
	}
	return m
}()

// ForSender returns the language of the sender's country, judged by the
// calling code of sender's E.164 number ("+31612345678" is Dutch), or
// language.Und when the country's main language is not supported or sender
// is not a number. It is the language to answer in when the text itself
// does not tell, as for the daily Hint.
//
// sender is read leniently: a missing "+", a "00" international prefix,
// spaces, dashes, dots and parentheses are accepted, and reading stops at
// the first other character, so a WhatsApp JID "31612345678@s.whatsapp.net"
// works too.
func ForSender(sender string) language.Tag {
	var buf [maxCodeLen + 2]byte
	digits := buf[:0]
	i := 0
	if i < len(sender) && sender[i] == '+' {
		i++
	}
scan:
	for ; i < len(sender) && len(digits) < cap(buf); i++ {
		switch c := sender[i]; {
		case '0' <= c && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			break scan
		}
	}
	if len(digits) >= 2 && digits[0] == '0' && digits[1] == '0' {
		digits = digits[2:]
	}
	for n := min(len(digits), maxCodeLen); n > 0; n-- {
		if t, ok := countryLanguage[string(digits[:n])]; ok {
			return t
		}
	}
	return language.Und
}
