package store

import (
	"context"
	"strings"
	"testing"

	"hooks/store/storetest"
)

// TestHotQueriesUseTheirIndexes keeps the engine's queries O(log n) in the
// size of the backlog: each must search an index, never scan a table or
// sort in a temporary b-tree.
func TestHotQueriesUseTheirIndexes(t *testing.T) {
	storetest.SkipOnPostgres(t, "reads SQLite's query plans")
	db := openTestDB(t)
	for name, c := range map[string]struct {
		query string
		want  string
	}{
		"claim": {`UPDATE deliveries SET next_attempt_at = 1, lease_owner = 'x' WHERE id IN (SELECT id FROM deliveries
			WHERE status IN ('pending', 'retrying') AND next_attempt_at <= 5 ORDER BY next_attempt_at LIMIT 10) RETURNING id`, "deliveries_due"},
		"next due": {`SELECT MIN(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'retrying')`, "deliveries_due"},
		"unpark": {`UPDATE deliveries SET lease_owner = NULL, next_attempt_at = created_at
			WHERE rowid IN (SELECT rowid FROM deliveries WHERE lease_owner = 'x' ORDER BY rowid LIMIT 10) RETURNING id`, "deliveries_leased"},
		"subscribers":    {subscribersSQL, "endpoints_by_tenant"},
		"first attempts": {firstAttemptsSQL(sqliteDialect.idList), "deliveries_by_event"},
		// Deliveries by status: the partial indexes of those not succeeded
		// (migration 0022), and the plain ones for succeeded deliveries.
		"unfinished":              {countUnfinishedSQL, "deliveries_unsettled_by_tenant"},
		"unfinished of endpoint":  {countEndpointUnfinishedSQL, "deliveries_unsettled_by_"},
		"failed page":             {listPage(DeliveryFilter{TenantID: "t", Status: "failed"}), "deliveries_unsettled_by_tenant"},
		"failed page of endpoint": {listPage(DeliveryFilter{TenantID: "t", EndpointID: "e", Status: "retrying"}), "deliveries_unsettled_by_"},
		"succeeded page":          {listPage(DeliveryFilter{TenantID: "t", Status: "succeeded"}), "deliveries_by_tenant"},
		"page":                    {listPage(DeliveryFilter{TenantID: "t"}), "deliveries_by_tenant"},
		"last succeeded":          {lastSucceededSQL, "deliveries_by_endpoint"},
		"last succeeded before":   {lastSucceededBeforeSQL, "deliveries_by_endpoint"},
		"failing run":             {failedRunSQL, "deliveries_unsettled_by_endpoint"},
	} {
		t.Run(name, func(t *testing.T) {
			q := strings.ReplaceAll(c.query, "?", "'x'")
			for _, n := range []string{"1", "2", "3", "4", "5", "6"} {
				q = strings.ReplaceAll(q, "'x'"+n, "'x'")
			}
			rows, err := db.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notUsed int
				var detail string
				if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			all := strings.Join(plan, "\n")
			if !strings.Contains(all, c.want) || strings.Contains(all, "TEMP B-TREE") || strings.Contains(all, "SCAN deliveries") {
				t.Errorf("plan does not search %s:\n%s", c.want, all)
			}
		})
	}
}

// listPage is the first page's query of the deliveries f selects.
func listPage(f DeliveryFilter) string {
	k := f.list()
	q, _ := k.page(deliveryColumns, "", 50)
	return q
}
