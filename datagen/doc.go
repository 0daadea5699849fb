// Package datagen generates synthetic deferred-payment (buy now, pay later) orders with a known
// true default probability per row, for demos, tests and benchmarks.
//
// Because the probability that generated each label is known, so is the best any model can do
// on the data: the AUC and log-loss of the true_probability column are the Bayes limit, the
// yardstick for a trained model (on 200,000 rows with Seed 20250101 the default rate is 4.6%,
// the Bayes AUC 0.785 and the Bayes log-loss 0.160, against 0.187 for the base rate).
//
// datagen produces frames, not files: [Generate] streams chunks of rows, in order, to a
// callback (the riskflow datagen command hands them to frameio's writer);
// [GenerateFrame] returns all rows as one frame.
//
// # Columns
//
// One row per order, sorted by order_ts. Counts and amounts are Numeric columns; NaN marks a
// missing value.
//
//	order_id                string   "o-000000001", …: the row number, unique
//	customer_id             string   "c-000012566", …: returning customers recur, new ones appear once
//	order_ts                time     in 2025, millisecond precision; more orders in the evening,
//	                                 before Christmas and on sale days
//	market                  string   de at ch nl be fr es it se no dk fi pl (see Markets)
//	assortment              string   30 product categories: electronics, fashion, shoes, furniture, …
//	device                  string   desktop mobile_web ios_app android_app tablet; 4% missing
//	payment_method          string   invoice_14d invoice_30d split_in_3 installments_6m installments_12m;
//	                                 longer terms for larger amounts
//	shipping_method         string   standard express pickup_point store_pickup, and digital for
//	                                 gift cards and tickets
//	email_domain_kind       string   freemail isp corporate education custom_domain disposable; 2% missing
//	customer_segment        string   standard student family premium business (students are young)
//	order_amount            numeric  EUR, lognormal item prices times the basket size, rounded to
//	                                 cents, 1 to 10,000 (median about 90)
//	basket_size             numeric  items, 1 + Poisson; larger for fashion and groceries
//	avg_item_price          numeric  order_amount / basket_size, rounded to cents
//	customer_age            numeric  years, 18 to 81, skewed young (median 34)
//	customer_tenure_days    numeric  days since the customer's first order; missing on a first order
//	account_age_days        numeric  days since the account was opened, ≥ customer_tenure_days;
//	                                 0 for most first orders (account opened at checkout)
//	n_prev_orders           numeric  previous orders; 0 exactly on a first order
//	n_prev_returns          numeric  previous orders returned; missing on a first order
//	n_late_payments         numeric  previous orders paid late; missing on a first order
//	days_since_last_order   numeric  ≤ customer_tenure_days; missing on a first order
//	hour_of_day             numeric  0–23, local time of order_ts (CET, UTC+1, no daylight saving)
//	billing_shipping_match  bool     false for about 8% of orders, more for gifts, first orders, sales
//	is_first_order          bool     true exactly when n_prev_orders is 0 (about 26% of orders)
//	default                 numeric  the label: 1 if the order was not paid, else 0
//	true_probability        numeric  P(default = 1 | the other columns); only with Config.WithTruth
//
// History fields of first orders are missing, not zero: there is no history. device and
// email_domain_kind are missing at random in a few percent of rows, and missingness is
// informative (its own logit offset below). A returning customer keeps market, segment, e-mail
// kind, birth date, account and first-order dates across orders; the history counts are drawn
// afresh for each order (rows are independent given the customer, for speed and determinism).
//
// Five sale days (8 July, 11 November, Black Friday 28 November, Cyber Monday 1 December,
// 26 December, CET) have 2.5 to 5 times the usual orders, 1.6 times as many items beyond the
// first, 15% lower item prices, 40% instead of 25% first orders, more address mismatches and
// a higher risk.
//
// # The true model
//
// Each order's default is drawn as
//
//	default ~ Bernoulli(sigmoid(η + Z)),  Z ~ N(0, 0.75²) unobserved, independent of everything
//
// where η, the observed logit, is a sum of effects of the columns:
//
//	η = −4.10
//	  + market offset        (it +0.55, es +0.45, pl +0.35, fr +0.25, … ch −0.30, no −0.35)
//	  + assortment offset    (gift_cards +0.85, phones +0.55, jewelry +0.45, … books −0.35)
//	  + payment offset       (invoice_14d 0 … installments_12m +0.45)
//	  + shipping offset      (express +0.30, digital +0.30, pickup_point −0.15, store_pickup −0.25)
//	  + segment offset       (student +0.20, premium −0.45, business −0.25)
//	  + device offset        (mobile_web +0.15, ios_app −0.20, …; missing +0.25)
//	  + e-mail offset        (disposable +1.30, corporate −0.35, …; missing +0.20)
//	  + 0.30·ln(order_amount/100)
//	  + 1.10·(d/12)²         d = hours between hour_of_day and 15:00 (0–12): night orders are riskier
//	  + 0.80·exp(−(age−18)/7) + 0.015·max(age−68, 0)       young (and old) customers are riskier
//	  + 0.20                 on a sale day
//	  + 0.55·[billing ≠ shipping address], +0.30 more on a first order
//	first orders:
//	  + 0.55, +0.25 more if account_age_days = 0
//	returning customers:
//	  − 0.30·ln(1 + tenure/30)                              tenure helps, with diminishing effect
//	  − 0.12·ln(1 + n_prev_orders)
//	  + ln(1 + n_late_payments)·(0.45 + 0.35·max(ln(order_amount/100), −1))
//	                                                        late payments matter more for large orders
//	  + 0.40·n_prev_returns/n_prev_orders
//	  + 0.12·ln(1 + days_since_last_order/30)               dormant customers are riskier
//
// The full offset tables are in tables.go. Z is drawn afresh for every row, independent of the
// columns and of other rows (even the same customer's), so the Bayes-optimal prediction from a
// row is true_probability = E[sigmoid(η + Z)], computed by
// 32-point Gauss–Hermite quadrature (error below 1e-10). It is the probability a perfect model
// of the observed columns would output, so its AUC and log-loss bound what any model can reach;
// Z keeps that bound realistic (AUC near 0.79 rather than 0.99). A model has to find the market
// and category offsets, the nonlinear hour, age and tenure curves, the missing-value effects,
// the amount × late-payment interaction and the sale days (from order_ts) to approach it.
//
// # Determinism
//
// The rows depend only on Config.Seed, Config.Rows and the set of Config.Markets (not their
// order, case or duplicates): not on ChunkRows, Workers, WithTruth (which only adds a column) or
// how the frames are consumed. Row i draws from its own PCG stream seeded from (Seed, i), and a
// returning customer's traits from a stream seeded from (Seed, customer), so rows can be
// generated in any order by any number of goroutines and come out identical bit for bit.
// Dictionary codes of String columns are per emitted frame (in order of first appearance);
// the values are the same however the rows are cut. Rows is part of the identity: it sets the
// customer pool size and spreads the rows over the year, so the first 1,000 rows of a
// 2,000-row data set are not a 1,000-row data set.
//
// Identical output is guaranteed for one Go release and GOARCH. Other architectures may differ
// in the last bits of floating-point results (fused multiply-add, assembly math routines).
package datagen
