package envelope

// PepperiTemplate reproduces the body of Pepperi's webhooks:
//
//	{"ID": <event id>, "Delivery": {"ID", "CreatedAt", "UpdatedAt"},
//	 "CompanyID": <company>, "TriggeredBy": {"ID", "URI"}, "Data": <event data>}
//
// CompanyID comes from the endpoint's metadata key companyId, as a number
// when it is one (Pepperi's company ids are) and as text otherwise.
// TriggeredBy is taken from the event's data when the producer put a
// TriggeredBy object there, else from the metadata keys triggeredById and
// triggeredByUri. Pepperi's own sample body spells the company member
// "CompnayID"; a receiver written against that spelling needs a copy of this
// template with the name changed.
const PepperiTemplate = `{
  "ID": "{{ event.id }}",
  "Delivery": {
    "ID": "{{ delivery.id }}",
    "CreatedAt": "{{ delivery.createdAt }}",
    "UpdatedAt": "{{ delivery.updatedAt }}"
  },
  "CompanyID": "{{ metadata.companyId | number | default metadata.companyId }}",
  "TriggeredBy": {
    "ID": "{{ event.data.TriggeredBy.ID | default metadata.triggeredById }}",
    "URI": "{{ event.data.TriggeredBy.URI | default metadata.triggeredByUri }}"
  },
  "Data": "{{ event.data }}"
}`

// AlphaTouchTemplate reproduces the body of AlphaTouch's webhooks:
//
//	{"api_key": <installation key>, "action": "update", "entity": "resident",
//	 "entity_id": 17, "data": <the object>}
//
// api_key comes from the endpoint's metadata. The topic names the entity and
// the action: product/deleted (or product/delete) becomes entity "product"
// and action "delete", as AlphaTouch writes actions without the past tense's
// "d". entity_id is the data's id member, and data is left out for deletes.
// For events that carry the action in their sub-topic instead, use
// event.subTopic in place of the second part of the topic.
const AlphaTouchTemplate = `{
  "api_key": "{{ metadata.api_key }}",
  "action": "{{ event.topic | split '/' -1 | trimSuffix 'd' }}",
  "entity": "{{ event.topic | split '/' 0 }}",
  "entity_id": "{{ event.data.id }}",
  "data": {
    "$if": "event.topic | split '/' -1 | trimSuffix 'd' != 'delete'",
    "$then": "{{ event.data }}"
  }
}`
