// Package domain is hooks' vocabulary: the objects that operators, producers
// and receivers talk about (tenants, endpoints, events, deliveries,
// attempts), the topic grammar, the checks on what a user configures, and
// the one error type that every layer returns. It imports nothing of hooks'
// own, so every other package may import it.
//
// Two names need a word. An Endpoint is what the API and the UI call a
// webhook: its ids start with wbh_, its routes are /api/v1/webhooks, its
// table is endpoints, and the API's "webhookId" fields hold an endpoint id.
// A Delivery is one event on its way to one endpoint, and its ID (dlv_) is
// the dedupe id that receivers see in webhook-id and <prefix>Webhook-Id: the
// same on every retry and redelivery, so they can drop duplicates.
package domain
