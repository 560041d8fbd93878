//! The sessions the cluster holds, as `GET /api/v1/sessions` answers through nginx.

use serde_json::Value;

use super::harness::Topology;

impl Topology {
    /// Every session with `status` (any status when `None`), following the cursor.
    pub async fn sessions(&self, status: Option<&str>) -> Vec<Value> {
        let client = reqwest::Client::new();
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("limit", "100".to_owned())];
            query.extend(status.map(|s| ("status", s.to_owned())));
            query.extend(cursor.take().map(|c| ("cursor", c)));
            let response = client
                .get(self.url("/api/v1/sessions"))
                .query(&query)
                .send()
                .await
                .expect("nginx answers");
            assert_eq!(response.status(), 200, "listing sessions");
            let page: Value = response.json().await.unwrap();
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}
