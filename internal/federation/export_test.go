package federation

// DeliveryText exposes the signed text of a delivery to the external tests.
var DeliveryText = deliveryText
