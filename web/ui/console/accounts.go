package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"higate/quota"
	"higate/registry"
)

// accountsPerPage is how many accounts one page of the list shows.
const accountsPerPage = 50

// plans are the plans the forms offer, in the admin API's words.
var plans = []planOption{
	{string(quota.Trial), quota.Trial.Name()},
	{string(quota.ForeverGreen), quota.ForeverGreen.Name()},
	{string(quota.Enterprise), quota.Enterprise.Name()},
}

type planOption struct{ Value, Label string }

// accountRow is one account in the list.
type accountRow struct {
	ClientID  string
	Href      string
	Email     string
	Plan      string
	Status    string
	Instance  uint64
	PeriodEnd time.Time
}

// accountsView is the accounts page's data.
type accountsView struct {
	Search   string
	Accounts []accountRow
	Next     string // the next page's URL, if any
	First    string // the first page's URL, when this is not it
	Plans    []planOption
	Created  *registry.Credentials // the account just created: its secret, shown this once
	Form     NewAccountForm        // the create form's values, after a failure
}

// NewAccountForm is what the create-account form holds.
type NewAccountForm struct {
	Email, Plan, Instance string
}

func viewAccountRow(a registry.Account) accountRow {
	return accountRow{ClientID: a.ClientID, Href: "/console/accounts/" + url.PathEscape(a.ClientID), Email: a.Email,
		Plan: a.Plan.Name(), Status: string(a.Status), Instance: a.Instance, PeriodEnd: a.PeriodEnd}
}

// accountsView reads the page of accounts the query asks for: a search by
// e-mail address or client ID, through the registry's indexes, a page at a
// time.
func (h *Handler) accountsView(r *http.Request) (accountsView, error) {
	q := r.URL.Query()
	v := accountsView{Search: strings.TrimSpace(q.Get("q")), Plans: plans, Form: NewAccountForm{Plan: "trial"}}
	page, err := h.Store.FindAccounts(registry.AccountQuery{Search: v.Search, After: q.Get("after"), Limit: accountsPerPage})
	if err != nil {
		return v, err
	}
	for _, a := range page.Accounts {
		v.Accounts = append(v.Accounts, viewAccountRow(a))
	}
	if page.Next != "" {
		v.Next = "/console/accounts?" + url.Values{"q": {v.Search}, "after": {page.Next}}.Encode()
	}
	if q.Get("after") != "" {
		v.First = "/console/accounts?" + url.Values{"q": {v.Search}}.Encode()
	}
	return v, nil
}

// serveAccounts lists and searches accounts, with the create form.
func (h *Handler) serveAccounts(w http.ResponseWriter, r *http.Request) {
	v, err := h.accountsView(r)
	if err != nil {
		h.Logger.Error("accounts page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.render(w, http.StatusOK, "accounts.html", h.view(w, r, "Accounts", "/console/accounts", v))
}

// createAccount is the create-account form. The answer is the page itself
// with the new credentials, not a redirect: the secret is shown this once,
// in this response only (no-store), and kept nowhere.
func (h *Handler) createAccount(w http.ResponseWriter, r *http.Request) {
	f := NewAccountForm{Email: strings.TrimSpace(r.PostFormValue("email")), Plan: r.PostFormValue("plan"),
		Instance: strings.TrimSpace(r.PostFormValue("instance"))}
	na := NewAccount{Email: f.Email, Plan: f.Plan}
	var err error
	if f.Instance != "" {
		var id uint64
		if id, err = strconv.ParseUint(f.Instance, 10, 64); err != nil {
			err = registry.Errorf(registry.CodeBadRequest, "give an instance number, or leave it empty", "instance %q is not a number", f.Instance)
		}
		na.Instance = &id
	}
	var creds registry.Credentials
	if err == nil && f.Email == "" {
		err = registry.Errorf(registry.CodeBadRequest, "give the developer's e-mail address", "the e-mail address is missing")
	}
	if err == nil {
		creds, err = h.Admin.CreateAccount(r.Context(), na)
	}
	v, verr := h.accountsView(r)
	if verr != nil {
		h.Logger.Error("accounts page", "err", verr)
	}
	page := h.view(w, r, "Accounts", "/console/accounts", &v)
	status := http.StatusOK
	if err != nil {
		v.Form = f
		page.Error = userError(h.Logger, r, err)
		status = registry.ErrorCode(err)
		if status < 400 || status > 599 {
			status = http.StatusBadRequest
		}
	} else {
		h.Logger.Info("account created from the console", "account", creds.ClientID, "plan", creds.Plan)
		v.Created = &creds
		page.Flash = "Account " + creds.ClientID + " created."
	}
	h.render(w, status, "accounts.html", page)
}
