package lang

// This file is data: the greetings and opt-out words Classify knows, and the
// fillers it accepts around them. Each entry lists one spelling and the
// languages (BCP 47) that use it, the default first; Classify picks the
// sender's country language when it is in the list and the default
// otherwise. "*" means any language: the sender's country language if it is
// supported, English if not.
//
// Spellings are written the way people type them. Case, width, accents,
// Arabic vowel marks, tatweel, Hebrew niqqud and punctuation inside a phrase
// ("opt-out", "s'il vous plaît") need no variants here because matchKey folds
// them and Classify splits words at punctuation; a spelling that folds onto
// another entry's is a duplicate and fails start-up. Words that only live in
// one script's transliteration ("marhaba", "privet") are listed so that
// people on a Latin keyboard are understood too.
//
// README.md lists these tables; after editing them, run
// go test ./lang -run TestREADME -update to regenerate that list.

// greetings register the sender on the gateway.
var greetings = []struct{ text, langs string }{
	// English
	{"hi", "en"}, {"hello", "en"}, {"hey", "en"}, {"hiya", "en"}, {"howdy", "en"},
	{"good morning", "en"}, {"good afternoon", "en"}, {"good evening", "en"},
	// Arabic
	{"مرحبا", "ar"}, {"أهلا", "ar"}, {"أهلا وسهلا", "ar"}, {"هلا", "ar"}, {"هاي", "ar"},
	{"السلام عليكم", "ar"}, {"سلام", "ar"}, {"صباح الخير", "ar"}, {"مساء الخير", "ar"},
	{"marhaba", "ar"}, {"salam", "ar"},
	// Chinese. 安安 is a Taiwanese greeting and "Ching" is read as Taiwanese
	// romanized Chinese, so both default to Traditional script.
	{"你好", "zh zh-Hant"}, {"您好", "zh zh-Hant"}, {"嗨", "zh zh-Hant"},
	{"哈喽", "zh"}, {"哈囉", "zh-Hant"}, {"安安", "zh-Hant"}, {"ching", "zh-Hant"},
	{"大家好", "zh zh-Hant"}, {"你们好", "zh"}, {"你們好", "zh-Hant"}, {"早上好", "zh"},
	{"早安", "zh-Hant zh"}, {"ni hao", "zh zh-Hant"}, {"nihao", "zh zh-Hant"},
	// Dutch and German share Hallo and Hoi; German has the most speakers, so
	// it is Hallo's default, while Hoi is mostly Dutch (and Swiss German).
	// Indonesians often spell Halo as Hallo.
	{"hallo", "de nl id"}, {"hoi", "nl de"}, {"goedemorgen", "nl"}, {"goedendag", "nl"},
	{"goedemiddag", "nl"}, {"goedenavond", "nl"},
	// French
	{"salut", "fr"}, {"bonjour", "fr"}, {"bonsoir", "fr"}, {"coucou", "fr"},
	// German
	{"guten tag", "de"}, {"guten morgen", "de"}, {"guten abend", "de"}, {"servus", "de"},
	{"moin", "de"},
	{"grüß gott", "de"}, {"grüezi", "de"},
	// Hebrew
	{"היי", "he"}, {"הי", "he"}, {"שלום", "he"}, {"שלום רב", "he"}, {"בוקר טוב", "he"},
	{"ערב טוב", "he"}, {"shalom", "he"},
	// Hindi
	{"नमस्ते", "hi"}, {"नमस्कार", "hi"}, {"हेलो", "hi"}, {"हैलो", "hi"}, {"हाय", "hi"},
	{"namaste", "hi"}, {"namaskar", "hi"},
	// Indonesian. Hai is also casual English; Indonesian is its default.
	{"hai", "id en"}, {"halo", "id"}, {"selamat pagi", "id"}, {"selamat siang", "id"},
	{"selamat sore", "id"}, {"selamat malam", "id"},
	// Italian
	{"ciao", "it"}, {"salve", "it"}, {"buongiorno", "it"}, {"buonasera", "it"},
	// Japanese. ハイ is the katakana "hi"; hiragana はい means "yes" and is
	// deliberately absent.
	{"こんにちは", "ja"}, {"こんにちわ", "ja"}, {"ハイ", "ja"}, {"ハロー", "ja"},
	{"やあ", "ja"}, {"おはよう", "ja"}, {"konnichiwa", "ja"},
	// Portuguese. "Ola" is how Olá arrives without the accent.
	{"oi", "pt"}, {"oie", "pt"}, {"olá", "pt"}, {"bom dia", "pt"}, {"boa tarde", "pt"},
	// Russian
	{"привет", "ru"}, {"здравствуй", "ru"}, {"здравствуйте", "ru"}, {"здрасте", "ru"},
	{"здрасьте", "ru"}, {"добрый день", "ru"}, {"доброе утро", "ru"}, {"добрый вечер", "ru"},
	{"privet", "ru"},
	{"хай", "ru uk"},
	// Spanish
	{"hola", "es"}, {"buenas", "es"}, {"buenos días", "es"}, {"buenas tardes", "es"},
	{"buenas noches", "es"},
	// Ukrainian
	{"привіт", "uk"}, {"вітаю", "uk"}, {"добрий день", "uk"}, {"доброго дня", "uk"},
	{"добрий вечір", "uk"},
	{"pryvit", "uk"},
}

// optOuts end the sender's registration.
var optOuts = []struct{ text, langs string }{
	// STOP is understood everywhere, so its language is the sender's.
	{"stop", "*"},
	// English, with the keywords carriers honour for SMS.
	{"unsubscribe", "en"}, {"unsub", "en"}, {"stopall", "en"}, {"stop all", "en"},
	{"cancel", "en"}, {"end", "en"}, {"quit", "en"}, {"opt out", "en"},
	{"optout", "en"},
	// Arabic
	{"توقف", "ar"}, {"إلغاء الاشتراك", "ar"}, {"إلغاء", "ar"}, {"إيقاف", "ar"},
	// Chinese and Japanese share 停止; Chinese has the most speakers.
	{"停止", "zh zh-Hant ja"}, {"退订", "zh"}, {"退訂", "zh-Hant"}, {"取消订阅", "zh"},
	{"取消訂閱", "zh-Hant"}, {"退出", "zh zh-Hant"}, {"td", "zh"},
	// Dutch. Stoppen is also German; Dutch is its default because that is
	// where it is the opt-out word.
	{"afmelden", "nl"}, {"stoppen", "nl de"}, {"uitschrijven", "nl"},
	// French
	{"arrêter", "fr"}, {"arrêt", "fr"}, {"désabonner", "fr"}, {"se désabonner", "fr"},
	{"me désabonner", "fr"}, {"désinscrire", "fr"}, {"désinscription", "fr"},
	// German
	{"abmelden", "de"}, {"stopp", "de"}, {"austragen", "de"}, {"abbestellen", "de"},
	// Hebrew. הסר is the word Israeli law requires senders to honour.
	{"הסר", "he"}, {"עצור", "he"}, {"הסרה", "he"}, {"הפסק", "he"},
	// Hindi
	{"रोकें", "hi"}, {"रोको", "hi"}, {"बंद करो", "hi"}, {"बंद करें", "hi"}, {"बंद", "hi"},
	{"सदस्यता रद्द करें", "hi"},
	// Indonesian. UNREG is the usual Indonesian SMS keyword.
	{"berhenti", "id"}, {"berhenti langganan", "id"}, {"unreg", "id"}, {"batal", "id"},
	// Italian. Basta ("enough") is also Spanish and Portuguese.
	{"basta", "it es pt"}, {"disiscrivi", "it"}, {"disiscriviti", "it"},
	{"cancellami", "it"}, {"annulla iscrizione", "it"},
	// Japanese
	{"ストップ", "ja"}, {"配信停止", "ja"}, {"配信解除", "ja"}, {"解除", "ja"},
	// Portuguese. Parar is also Spanish; cancelar is more often Spanish.
	{"parar", "pt es"}, {"sair", "pt"}, {"descadastrar", "pt"}, {"cancelar", "es pt"},
	// Russian and Ukrainian share СТОП; Russian has the most speakers.
	{"стоп", "ru uk"}, {"отписаться", "ru"}, {"отписка", "ru"},
	{"отменить подписку", "ru"}, {"хватит", "ru"},
	// Spanish
	{"alto", "es"}, {"baja", "es"}, {"dar de baja", "es"}, {"darme de baja", "es"},
	{"darse de baja", "es"}, {"detener", "es"},
	// Ukrainian
	{"відписатися", "uk"}, {"відписка", "uk"}, {"скасувати підписку", "uk"},
}

// Fillers are the words people put around a greeting or an opt-out that add
// nothing to it: whom they greet ("Hallo zusammen", "Hola amigo"), courtesy
// ("stop please", "Abmelden, danke") and particles ("你好啊", "停止吧").
// Classify accepts them, in any order and next to a word of any language,
// only beside a word of the intent they are listed for, so "hi thanks" is
// not a greeting. A filler is never an intent on its own and never a word
// that changes the meaning: no negations ("don't", "nicht", "不要"), no verb
// but those that only make the intent word a request (Japanese して in
// 停止して), no "how are you" (which expects a person to answer).
// A spelling may be listed for both intents. Words that could read as a
// negation or change the sense elsewhere are left out too: Dutch "nu" is
// Romanian "not", and with Hindi अभी ("now") "अभी बंद" reads "closed now".

// greetingFillers may stand around a greeting.
var greetingFillers = []struct{ text, langs string }{
	// English
	{"there", "en"}, {"all", "en"}, {"everyone", "en"}, {"everybody", "en"}, {"guys", "en"},
	{"folks", "en"}, {"y'all", "en"}, {"friend", "en"}, {"friends", "en"}, {"team", "en"},
	{"mate", "en"}, {"sir", "en"}, {"madam", "en"}, {"ma'am", "en"},
	// Arabic
	{"يا جماعة", "ar"}, {"جميعا", "ar"}, {"يا صديقي", "ar"}, {"ورحمة الله", "ar"},
	{"ورحمة الله وبركاته", "ar"},
	// Chinese. The particles stretch the greeting; they go with either intent.
	{"啊", "zh zh-Hant"}, {"呀", "zh zh-Hant"}, {"哦", "zh zh-Hant"}, {"大家", "zh zh-Hant"},
	{"各位", "zh zh-Hant"}, {"朋友", "zh zh-Hant"},
	// Dutch
	{"allemaal", "nl"}, {"iedereen", "nl"}, {"jongens", "nl"},
	// French
	{"à tous", "fr"}, {"tout le monde", "fr"}, {"les amis", "fr"}, {"madame", "fr"},
	{"monsieur", "fr"},
	// German. "Grüezi miteinander" is the Swiss "hello everyone".
	{"zusammen", "de"}, {"alle", "de"}, {"leute", "de"}, {"ihr lieben", "de"},
	{"miteinander", "de"}, {"freunde", "de"},
	// Hebrew
	{"לכולם", "he"}, {"חברים", "he"},
	// Hindi. जी is the honorific in "नमस्ते जी".
	{"जी", "hi"}, {"ji", "hi"}, {"सभी को", "hi"}, {"दोस्तों", "hi"}, {"सर", "hi"},
	// Indonesian. Kak, pak, bu and min (for admin) address the person.
	{"semua", "id"}, {"semuanya", "id"}, {"kak", "id"}, {"kakak", "id"}, {"gan", "id"},
	{"min", "id"}, {"pak", "id"}, {"bu", "id"},
	// Italian
	{"a tutti", "it"}, {"tutti", "it"}, {"ragazzi", "it"}, {"amici", "it"},
	// Japanese. ございます completes おはようございます; ー stretches a word.
	{"ございます", "ja"}, {"みなさん", "ja"}, {"皆さん", "ja"}, {"みんな", "ja"}, {"ー", "ja"},
	// Portuguese and Spanish share amigo, todos and gente.
	{"pessoal", "pt"}, {"galera", "pt"}, {"gente", "pt es"}, {"amigo", "es pt"},
	{"amiga", "es pt"}, {"amigos", "es pt"}, {"todos", "es pt"}, {"a todos", "es pt"},
	// Russian
	{"всем", "ru"}, {"друзья", "ru"}, {"ребята", "ru"}, {"народ", "ru"},
	// Spanish
	{"chicos", "es"},
	// Ukrainian
	{"всім", "uk"}, {"друзі", "uk"},
}

// optOutFillers may stand around an opt-out.
var optOutFillers = []struct{ text, langs string }{
	// English
	{"please", "en"}, {"pls", "en"}, {"plz", "en"}, {"now", "en"}, {"thanks", "en"},
	{"thank you", "en"}, {"thx", "en"}, {"me", "en"},
	// Arabic
	{"من فضلك", "ar"}, {"لو سمحت", "ar"}, {"شكرا", "ar"}, {"الآن", "ar"},
	// Chinese
	{"请", "zh"}, {"請", "zh-Hant"}, {"吧", "zh zh-Hant"}, {"谢谢", "zh"}, {"謝謝", "zh-Hant"},
	{"啊", "zh zh-Hant"}, {"呀", "zh zh-Hant"},
	// Dutch
	{"a.u.b.", "nl"}, {"aub", "nl"}, {"alsjeblieft", "nl"}, {"alstublieft", "nl"},
	{"graag", "nl"}, {"bedankt", "nl"}, {"dank je", "nl"}, {"dank u", "nl"},
	// French
	{"s'il vous plaît", "fr"}, {"s'il te plaît", "fr"}, {"svp", "fr"}, {"stp", "fr"},
	{"merci", "fr"}, {"maintenant", "fr"},
	// German
	{"bitte", "de"}, {"danke", "de"}, {"sofort", "de"}, {"jetzt", "de"},
	// Hebrew
	{"בבקשה", "he"}, {"תודה", "he"}, {"עכשיו", "he"},
	// Hindi. प्लीज़ is also written without its nukta.
	{"कृपया", "hi"}, {"प्लीज़", "hi"}, {"प्लीज", "hi"}, {"धन्यवाद", "hi"},
	// Indonesian
	{"dong", "id"}, {"aja", "id"}, {"saja", "id"}, {"ya", "id es"}, {"tolong", "id"},
	{"terima kasih", "id"}, {"makasih", "id"}, {"sekarang", "id"}, {"min", "id"},
	// Italian
	{"per favore", "it"}, {"grazie", "it"}, {"subito", "it"},
	// Japanese. して and ください make a request: 停止してください.
	{"して", "ja"}, {"ください", "ja"}, {"お願いします", "ja"}, {"おねがいします", "ja"},
	// Portuguese and Spanish share por favor.
	{"por favor", "es pt"}, {"obrigado", "pt"}, {"obrigada", "pt"}, {"agora", "pt"},
	// Russian
	{"пожалуйста", "ru"}, {"спасибо", "ru"},
	// Spanish. "Ya" (now) is listed with Indonesian.
	{"gracias", "es"},
	// Ukrainian
	{"будь ласка", "uk"}, {"дякую", "uk"},
}
