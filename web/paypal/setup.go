package paypal

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	pp "github.com/plutov/paypal/v4"
)

// Prices are what the plans cost, as decimal strings in Currency.
type Prices struct {
	Currency           string // ISO 4217, e.g. USD
	ForeverGreen       string // a month
	ForeverGreenYearly string // a year
	Enterprise         string // a quarter
}

// SetupOptions describe the product and plans to create.
type SetupOptions struct {
	ProductName string
	Description string
	HomeURL     string // optional
	Prices      Prices
}

// SetupResult is the IDs PayPal gave the product and plans; the plan IDs go
// into HIGATE_PAYPAL_PLAN_*.
type SetupResult struct {
	ProductID          string
	Trial              string // 14-day free trial, then Forever Green monthly
	ForeverGreen       string // monthly
	ForeverGreenYearly string
	Enterprise         string // quarterly
}

// Setup creates the product and the four plans, active at once.
func (c *Client) Setup(ctx context.Context, o SetupOptions) (SetupResult, error) {
	p := o.Prices
	for _, price := range [][2]string{{"Forever Green", p.ForeverGreen}, {"Forever Green yearly", p.ForeverGreenYearly}, {"Enterprise", p.Enterprise}} {
		if f, err := strconv.ParseFloat(price[1], 64); err != nil || f <= 0 {
			return SetupResult{}, fmt.Errorf("paypal setup: the %s price %q is not a positive amount", price[0], price[1])
		}
	}
	if len(p.Currency) != 3 {
		return SetupResult{}, fmt.Errorf("paypal setup: currency %q is not an ISO 4217 code", p.Currency)
	}
	prod, err := c.api.CreateProduct(ctx, pp.Product{
		Name: o.ProductName, Description: o.Description, HomeUrl: o.HomeURL,
		Type: pp.ProductTypeService, Category: pp.ProductCategorySoftware,
	})
	if err != nil {
		return SetupResult{}, fmt.Errorf("paypal setup: create product: %w", err)
	}
	res := SetupResult{ProductID: prod.ID}
	month := cycle{"MONTH", 1}
	for _, pl := range []struct {
		id     *string
		name   string
		trial  bool
		every  cycle
		amount string
	}{
		{&res.Trial, o.ProductName + " Trial (14 days, then Forever Green monthly)", true, month, p.ForeverGreen},
		{&res.ForeverGreen, o.ProductName + " Forever Green (monthly)", false, month, p.ForeverGreen},
		{&res.ForeverGreenYearly, o.ProductName + " Forever Green (yearly)", false, cycle{"YEAR", 1}, p.ForeverGreenYearly},
		{&res.Enterprise, o.ProductName + " Enterprise (quarterly)", false, cycle{"MONTH", 3}, p.Enterprise},
	} {
		body := newPlan(prod.ID, pl.name, pl.trial, pl.every, money{p.Currency, pl.amount})
		id, err := c.createPlan(ctx, body)
		if err != nil {
			return res, fmt.Errorf("paypal setup: create plan %q: %w", pl.name, err)
		}
		*pl.id = id
	}
	return res, nil
}

// The plan request body is Higate's own rather than the library's
// SubscriptionPlan: that one always sends read-only fields (a pricing
// scheme's version and times) and cannot leave the pricing out of a free
// trial cycle, as PayPal's documentation asks.
type (
	planBody struct {
		ProductID          string             `json:"product_id"`
		Name               string             `json:"name"`
		Status             string             `json:"status"`
		BillingCycles      []billingCycle     `json:"billing_cycles"`
		PaymentPreferences paymentPreferences `json:"payment_preferences"`
	}
	billingCycle struct {
		Frequency     frequency      `json:"frequency"`
		TenureType    string         `json:"tenure_type"`
		Sequence      int            `json:"sequence"`
		TotalCycles   int            `json:"total_cycles"`
		PricingScheme *pricingScheme `json:"pricing_scheme,omitempty"`
	}
	frequency struct {
		IntervalUnit  string `json:"interval_unit"`
		IntervalCount int    `json:"interval_count"`
	}
	pricingScheme struct {
		FixedPrice money `json:"fixed_price"`
	}
	money struct {
		CurrencyCode string `json:"currency_code"`
		Value        string `json:"value"`
	}
	paymentPreferences struct {
		AutoBillOutstanding     bool   `json:"auto_bill_outstanding"`
		SetupFeeFailureAction   string `json:"setup_fee_failure_action"`
		PaymentFailureThreshold int    `json:"payment_failure_threshold"`
	}
	cycle struct {
		unit  string
		count int
	}
)

// newPlan is a plan that bills price every cycle until cancelled (total
// cycles 0 means no end), after a 14-day free trial if trial is set.
func newPlan(productID, name string, trial bool, every cycle, price money) planBody {
	var cycles []billingCycle
	if trial {
		cycles = append(cycles, billingCycle{Frequency: frequency{"DAY", 14}, TenureType: "TRIAL", Sequence: 1, TotalCycles: 1})
	}
	cycles = append(cycles, billingCycle{
		Frequency: frequency{every.unit, every.count}, TenureType: "REGULAR",
		Sequence: len(cycles) + 1, TotalCycles: 0, PricingScheme: &pricingScheme{FixedPrice: price},
	})
	return planBody{
		ProductID: productID, Name: name, Status: "ACTIVE", BillingCycles: cycles,
		PaymentPreferences: paymentPreferences{AutoBillOutstanding: true, SetupFeeFailureAction: "CONTINUE", PaymentFailureThreshold: 3},
	}
}

func (c *Client) createPlan(ctx context.Context, body planBody) (string, error) {
	req, err := c.api.NewRequest(ctx, http.MethodPost, c.api.APIBase+"/v1/billing/plans", body)
	if err != nil {
		return "", err
	}
	var resp pp.CreateSubscriptionPlanResponse
	if err := c.api.SendWithAuth(req, &resp); err != nil {
		return "", err
	}
	if resp.ID == "" {
		return "", fmt.Errorf("PayPal returned no plan ID")
	}
	return resp.ID, nil
}
