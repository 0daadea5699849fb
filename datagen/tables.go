package datagen

// The generating model's parameters. Everything here is read-only after package initialisation:
// the tables are package-level only because Go has no constant arrays.

// market is one country the merchant sells to.
type market struct {
	code   string
	weight float64 // share of order volume
	price  float64 // shift of log item price (purchasing power, VAT)
	risk   float64 // logit offset
}

var marketTable = [...]market{
	{"de", 30, 0.00, 0.00},
	{"at", 5, 0.00, -0.10},
	{"ch", 5, 0.25, -0.30},
	{"nl", 9, 0.00, -0.15},
	{"be", 4, 0.00, 0.05},
	{"fr", 12, -0.05, 0.25},
	{"es", 8, -0.15, 0.45},
	{"it", 9, -0.10, 0.55},
	{"se", 5, 0.05, -0.20},
	{"no", 3, 0.20, -0.35},
	{"dk", 3, 0.10, -0.25},
	{"fi", 3, 0.05, -0.05},
	{"pl", 6, -0.35, 0.35},
}

// assortment is the product category that dominates the basket.
type assortment struct {
	name    string
	weight  float64 // share of orders
	price   float64 // mean log item price in EUR
	items   float64 // mean number of extra items (basket_size - 1 is Poisson)
	risk    float64 // logit offset
	digital bool    // delivered electronically
}

var assortmentTable = [...]assortment{
	{"electronics", 6, 5.0, 0.3, 0.35, false},
	{"computers", 3, 5.9, 0.2, 0.30, false},
	{"phones", 3, 5.7, 0.15, 0.55, false},
	{"gaming", 3, 4.0, 0.5, 0.30, false},
	{"cameras", 1, 5.6, 0.3, 0.25, false},
	{"home_appliances", 3, 5.2, 0.2, 0.05, false},
	{"furniture", 4, 5.4, 0.6, -0.05, false},
	{"home_decor", 4, 3.4, 1.2, -0.15, false},
	{"kitchen", 3, 3.6, 1.0, -0.15, false},
	{"garden", 2, 3.8, 0.9, -0.20, false},
	{"diy_tools", 3, 3.9, 0.8, -0.10, false},
	{"fashion", 12, 3.6, 1.8, 0.00, false},
	{"shoes", 6, 4.2, 0.8, 0.05, false},
	{"sportswear", 4, 3.7, 1.2, -0.05, false},
	{"sports_equipment", 2, 4.3, 0.6, -0.05, false},
	{"outdoor", 2, 4.4, 0.8, -0.10, false},
	{"beauty", 5, 3.0, 1.6, -0.10, false},
	{"health", 2, 2.9, 1.2, -0.15, false},
	{"toys", 3, 3.3, 1.0, -0.05, false},
	{"baby", 2, 3.5, 1.5, -0.10, false},
	{"books", 2, 2.8, 1.2, -0.35, false},
	{"music", 1, 3.0, 0.6, -0.20, false},
	{"office", 1, 3.2, 1.5, -0.25, false},
	{"pet_supplies", 2, 3.3, 1.2, -0.25, false},
	{"groceries", 2, 2.5, 4.0, -0.20, false},
	{"jewelry", 2, 4.6, 0.3, 0.45, false},
	{"watches", 1, 5.2, 0.1, 0.40, false},
	{"bags_accessories", 2, 4.0, 0.5, 0.10, false},
	{"gift_cards", 2, 3.9, 0.2, 0.85, true},
	{"tickets_events", 1, 4.3, 1.0, 0.30, true},
}

// level is one value of a small categorical column.
type level struct {
	name   string
	weight float64 // sampling weight (some columns replace it by a context-dependent table)
	risk   float64 // logit offset
}

// Devices. A missing device (tracking blocked) has its own risk, riskMissingDevice.
var deviceTable = [...]level{
	{"desktop", 28, -0.10},
	{"mobile_web", 27, 0.15},
	{"ios_app", 22, -0.20},
	{"android_app", 18, 0.05},
	{"tablet", 5, 0.00},
}

// Payment methods; the weights depend on the amount (paymentWeights).
var paymentTable = [...]level{
	{"invoice_14d", 0, 0.00},
	{"invoice_30d", 0, 0.10},
	{"split_in_3", 0, 0.15},
	{"installments_6m", 0, 0.30},
	{"installments_12m", 0, 0.45},
}

// paymentWeights[b] are the payment-method weights for amount band b: below 150 EUR,
// 150–500 EUR, above 500 EUR.
var paymentWeights = [3][len(paymentTable)]float64{
	{55, 25, 15, 4, 1},
	{30, 20, 25, 17, 8},
	{12, 10, 20, 28, 30},
}

// Shipping methods. Digital assortments ship "digital" (shipDigital) with probability
// pDigitalShipping; everything else draws one of the physical methods by weight.
var shippingTable = [...]level{
	{"standard", 55, 0.00},
	{"express", 12, 0.30},
	{"pickup_point", 25, -0.15},
	{"store_pickup", 8, -0.25},
	{"digital", 0, 0.30},
}

const shipDigital = 4

// Email domain kinds. Customer segments use two weight tables, for the young and the rest.
var emailTable = [...]level{
	{"freemail", 62, 0.00},
	{"isp", 18, -0.10},
	{"corporate", 8, -0.35},
	{"education", 3, -0.10},
	{"custom_domain", 6, -0.20},
	{"disposable", 3, 1.30},
}

var segmentTable = [...]level{
	{"standard", 0, 0.00},
	{"student", 0, 0.20},
	{"family", 0, 0.05},
	{"premium", 0, -0.45},
	{"business", 0, -0.25},
}

// segmentWeights[0] applies to customers younger than youngAge, segmentWeights[1] to the rest.
var segmentWeights = [2][len(segmentTable)]float64{
	{50, 40, 5, 3, 2},
	{55, 0, 25, 12, 8},
}

const youngAge = 27

// Hourly and daily order volume (local time, CET = UTC+1).
var hourWeights = [24]float64{
	0.35, 0.20, 0.12, 0.08, 0.07, 0.10, 0.25, 0.50, 0.75, 0.90, 1.00, 1.05,
	1.10, 1.05, 1.00, 1.00, 1.05, 1.10, 1.20, 1.35, 1.45, 1.40, 1.10, 0.70,
}

// weekdayWeights is indexed by time.Weekday (Sunday first).
var weekdayWeights = [7]float64{1.15, 1.05, 1.00, 1.00, 1.00, 0.95, 0.85}

// saleEvent is a day with a shop-wide sale: more orders, bigger baskets, more new customers.
type saleEvent struct {
	month, day int
	volume     float64 // order volume multiplier on that day
}

var saleEvents = [...]saleEvent{
	{7, 8, 3.0},   // summer deal day
	{11, 11, 2.5}, // singles' day
	{11, 28, 5.0}, // black friday
	{12, 1, 3.5},  // cyber monday
	{12, 26, 2.5}, // boxing day
}

// The true logit's coefficients (see doc.go for the formula).
const (
	logitIntercept      = -4.10
	riskMissingDevice   = 0.25
	riskMissingEmail    = 0.20
	coefAmount          = 0.30 // per log(order_amount / 100)
	coefHour            = 1.10 // night bump: coefHour * (hours from 15:00 / 12)^2
	coefAgeYoung        = 0.80 // coefAgeYoung * exp(-(age-18)/7)
	coefAgeOld          = 0.015
	riskFirstOrder      = 0.55
	riskFreshAccount    = 0.25  // first order on an account opened today
	coefTenure          = -0.30 // per log1p(tenure_days / 30)
	coefPrevOrders      = -0.12 // per log1p(n_prev_orders)
	coefLate            = 0.45  // per log1p(n_late_payments), at 100 EUR
	coefLateAmount      = 0.35  // extra per log1p(n_late_payments) per log(amount / 100)
	coefReturnRate      = 0.40  // per n_prev_returns / n_prev_orders
	coefDormancy        = 0.12  // per log1p(days_since_last_order / 30)
	riskAddressMismatch = 0.55
	riskMismatchFirst   = 0.30 // extra for a mismatch on a first order
	riskSaleDay         = 0.20
	latentScale         = 0.75 // standard deviation of the unobserved logit term
)

// Other distribution parameters.
const (
	pFirstOrder        = 0.25
	pFirstOrderSale    = 0.40
	pFreshAccount      = 0.60 // first orders placed on an account opened the same day
	saleItems          = 1.6  // basket size multiplier on sale days
	salePrice          = 0.85 // item price multiplier on sale days
	priceSigma         = 0.55 // sd of log item price
	maxBasket          = 99
	maxAmount          = 10000.0
	pMissingDevice     = 0.04
	pMissingEmail      = 0.02
	pDigitalShipping   = 0.92
	pMismatch          = 0.06
	pMismatchFirst     = 0.05 // added for first orders
	pMismatchSale      = 0.04 // added on sale days
	pMismatchDigital   = 0.10 // added for digital goods (gifts)
	pDisposableNew     = 0.07 // disposable e-mail share among new customers (3% otherwise)
	customersPerOrders = 4    // one pool customer per this many rows
	minPool            = 1000
)
