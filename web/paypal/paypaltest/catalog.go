package paypaltest

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Product is a catalog product created through the API.
type Product struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"`
	Category    string `json:"category,omitempty"`
	HomeURL     string `json:"home_url,omitempty"`
	ImageURL    string `json:"image_url,omitempty"`
}

// Plan is a billing plan, created through the API or added with AddPlan.
type Plan struct {
	ID                 string          `json:"id"`
	ProductID          string          `json:"product_id"`
	Name               string          `json:"name"`
	Status             string          `json:"status"`
	Description        string          `json:"description,omitempty"`
	BillingCycles      []BillingCycle  `json:"billing_cycles"`
	PaymentPreferences map[string]any  `json:"payment_preferences"`
	Taxes              *map[string]any `json:"taxes,omitempty"`
	QuantitySupported  bool            `json:"quantity_supported,omitempty"`
}

// BillingCycle is one cycle of a plan.
type BillingCycle struct {
	Frequency struct {
		IntervalUnit  string `json:"interval_unit"`
		IntervalCount int    `json:"interval_count"`
	} `json:"frequency"`
	TenureType    string `json:"tenure_type"`
	Sequence      int    `json:"sequence"`
	TotalCycles   int    `json:"total_cycles"`
	PricingScheme *struct {
		FixedPrice struct {
			CurrencyCode string `json:"currency_code"`
			Value        string `json:"value"`
		} `json:"fixed_price"`
	} `json:"pricing_scheme,omitempty"`
}

// Products lists the products created, oldest first.
func (s *Server) Products() []Product {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Product, 0, len(s.products))
	for _, p := range s.products {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Product) int { return compareIDs(a.ID, b.ID) })
	return out
}

// Plans lists the plans, oldest first.
func (s *Server) Plans() []Plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Plan, 0, len(s.plans))
	for _, p := range s.plans {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Plan) int { return compareIDs(a.ID, b.ID) })
	return out
}

// AddPlan adds an active plan with the given ID: a regular cycle of
// interval (e.g. "MONTH", 1), after a 14-day trial if trial is set. Tests
// configure the gateway's HIGATE_PAYPAL_PLAN_* with such IDs.
func (s *Server) AddPlan(id string, trial bool, unit string, count int) {
	var cycles []BillingCycle
	if trial {
		var c BillingCycle
		c.Frequency.IntervalUnit, c.Frequency.IntervalCount, c.TenureType, c.Sequence, c.TotalCycles = "DAY", 14, "TRIAL", 1, 1
		cycles = append(cycles, c)
	}
	var c BillingCycle
	c.Frequency.IntervalUnit, c.Frequency.IntervalCount, c.TenureType, c.Sequence = unit, count, "REGULAR", len(cycles)+1
	cycles = append(cycles, c)
	s.mu.Lock()
	s.plans[id] = Plan{ID: id, Name: id, Status: "ACTIVE", BillingCycles: cycles}
	s.mu.Unlock()
}

func (s *Server) handleCreateProduct(w http.ResponseWriter, r *http.Request) {
	var p Product
	if !s.decodeStrict(w, r, &p) {
		return
	}
	switch {
	case p.ID != "":
		s.reject(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "product id is assigned by PayPal")
	case p.Name == "" || len(p.Name) > 127:
		s.reject(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "product name must be 1 to 127 characters")
	case !slices.Contains([]string{"PHYSICAL", "DIGITAL", "SERVICE"}, p.Type):
		s.reject(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "product type %q", p.Type)
	default:
		p.ID = s.nextID("PROD")
		s.mu.Lock()
		s.products[p.ID] = p
		s.mu.Unlock()
		writeJSON(w, http.StatusCreated, map[string]any{"id": p.ID, "name": p.Name, "type": p.Type,
			"create_time": time.Now().UTC().Format(time.RFC3339), "update_time": time.Now().UTC().Format(time.RFC3339)})
	}
}

func (s *Server) handleCreatePlan(w http.ResponseWriter, r *http.Request) {
	var p Plan
	if !s.decodeStrict(w, r, &p) {
		return
	}
	s.mu.Lock()
	_, known := s.products[p.ProductID]
	s.mu.Unlock()
	if !known {
		s.reject(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "product_id %q does not exist", p.ProductID)
		return
	}
	if msg := checkPlan(p); msg != "" {
		s.reject(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "%s", msg)
		return
	}
	if p.Status == "" {
		p.Status = "ACTIVE"
	}
	p.ID = s.nextID("P")
	s.mu.Lock()
	s.plans[p.ID] = p
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, p)
}

// checkPlan applies the rules of PayPal's plan documentation.
func checkPlan(p Plan) string {
	if p.ID != "" {
		return "plan id is assigned by PayPal"
	}
	if p.Name == "" || len(p.Name) > 127 {
		return "plan name must be 1 to 127 characters"
	}
	if !slices.Contains([]string{"", "CREATED", "INACTIVE", "ACTIVE"}, p.Status) {
		return "plan status " + p.Status
	}
	if p.PaymentPreferences == nil {
		return "payment_preferences is required"
	}
	if len(p.BillingCycles) == 0 || len(p.BillingCycles) > 12 {
		return "a plan has 1 to 12 billing cycles"
	}
	regular, trials := 0, 0
	for i, c := range p.BillingCycles {
		if c.Sequence != i+1 {
			return "billing cycle sequences must run 1, 2, ..."
		}
		limit := map[string]int{"DAY": 365, "WEEK": 52, "MONTH": 12, "YEAR": 1}[c.Frequency.IntervalUnit]
		if limit == 0 || c.Frequency.IntervalCount < 1 || c.Frequency.IntervalCount > limit {
			return "frequency " + c.Frequency.IntervalUnit + " x" + strconv.Itoa(c.Frequency.IntervalCount)
		}
		switch c.TenureType {
		case "TRIAL":
			trials++
			if regular > 0 || c.TotalCycles < 1 || c.TotalCycles > 999 {
				return "trial cycles come first and run 1 to 999 times"
			}
		case "REGULAR":
			regular++
			if c.TotalCycles < 0 || c.TotalCycles > 999 {
				return "regular total_cycles is 0 (no end) to 999"
			}
			if c.PricingScheme == nil {
				return "a regular cycle needs a pricing_scheme"
			}
		default:
			return "tenure_type " + c.TenureType
		}
		if ps := c.PricingScheme; ps != nil {
			v, err := strconv.ParseFloat(ps.FixedPrice.Value, 64)
			if err != nil || v < 0 || (c.TenureType == "REGULAR" && v == 0) || len(ps.FixedPrice.CurrencyCode) != 3 {
				return "fixed_price " + ps.FixedPrice.Value + " " + ps.FixedPrice.CurrencyCode
			}
		}
	}
	if regular != 1 || trials > 2 {
		return "a plan has one regular cycle and at most two trial cycles"
	}
	return ""
}

// compareIDs orders the fake's IDs by their sequence number.
func compareIDs(a, b string) int {
	seq := func(id string) int {
		for i := 0; i < len(id); i++ {
			if id[i] == '-' && i+5 <= len(id) {
				n, _ := strconv.Atoi(id[i+1 : i+5])
				return n
			}
		}
		return 0
	}
	return seq(a) - seq(b)
}
