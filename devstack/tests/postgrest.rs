//! The stand-in's records API, request by request in the shapes InsForge's JS SDK sends
//! (shared/reference/insforge.md §3), against what InsForge + PostgREST v12 answer.

use devstack::testing::{self, Project};
use reqwest::{Client, Method, Response};
use serde_json::{Value, json};

const SCHEMA: &str = "
create table public.items (
  id int primary key,
  name text not null,
  qty int,
  tag text,
  done boolean not null default false
);
create table public.codes (code varchar(3) primary key, amount numeric(5,2));
insert into public.codes values ('abc', 1.23);
insert into public.items (id, name, qty, tag, done) values
  (1, 'apple', 5, 'fruit', false),
  (2, 'Banana', null, 'fruit', true),
  (3, 'carrot', 2, null, false),
  (4, 'date, dried', 9, 'fruit', true),
  (5, 'egg', 0, 'protein', false);
";

/// A user schema, made by the database owner (the stand-in's `project_admin` has no CREATE on
/// the database, and whether InsForge's has is unverified).
const EXTRA_SCHEMA: &str = "
create schema extra;
create table extra.notes (id int primary key, body text);
grant usage on schema extra to anon, authenticated;
grant select, insert, update, delete on all tables in schema extra to anon, authenticated;
insert into extra.notes values (1, 'in extra');
";

struct Api {
    project: Project,
    http: Client,
}

impl Api {
    async fn new() -> Api {
        let project = testing::shared().fresh_project().await;
        let owner = devstack::pg::connect(&project.database_url)
            .await
            .expect("connect");
        owner
            .batch_execute(EXTRA_SCHEMA)
            .await
            .expect("extra schema");
        let api = Api {
            project,
            http: Client::new(),
        };
        api.migrate("1", "fixtures", SCHEMA).await;
        api
    }

    /// Applies `sql` through the migrations API with the admin key; it must succeed.
    async fn migrate(&self, version: &str, name: &str, sql: &str) {
        let res = self
            .http
            .post(format!("{}/api/database/migrations", self.project.url))
            .header("x-api-key", &self.project.keys.api_key)
            .json(&json!({"version": version, "name": name, "sql": sql}))
            .send()
            .await
            .expect("migrate");
        let status = res.status();
        assert_eq!(status, 201, "{}", res.text().await.unwrap_or_default());
    }

    /// A request as a signed-in user (a token minted as the app does).
    fn req(&self, method: Method, path_and_query: &str) -> reqwest::RequestBuilder {
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &json!({"sub": "user-test-1", "role": "authenticated", "exp": 4_000_000_000u64}),
            &jsonwebtoken::EncodingKey::from_secret(self.project.keys.jwt_secret.as_bytes()),
        )
        .expect("sign");
        self.http
            .request(
                method,
                format!("{}/api/database/records/{path_and_query}", self.project.url),
            )
            .bearer_auth(token)
    }

    async fn get(&self, path_and_query: &str) -> Value {
        let res = self
            .req(Method::GET, path_and_query)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200, "{path_and_query}");
        res.json().await.expect("json")
    }

    async fn ids(&self, path_and_query: &str) -> Vec<i64> {
        let rows = self.get(path_and_query).await;
        rows.as_array()
            .expect("array")
            .iter()
            .map(|r| r["id"].as_i64().unwrap_or(-1))
            .collect()
    }
}

fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn select_order_filters_limit_offset() {
    let api = Api::new().await;
    let rows = api.get("items?select=*").await;
    assert_eq!(
        rows[0],
        json!({"id":1,"name":"apple","qty":5,"tag":"fruit","done":false}),
        "columns in table order"
    );
    assert_eq!(
        api.get("items?select=id,label:name&id=eq.1").await,
        json!([{"id":1,"label":"apple"}])
    );
    assert_eq!(
        api.get("items?select=qty::text&id=eq.1").await,
        json!([{"qty":"5"}])
    );

    assert_eq!(
        api.ids("items?select=id&order=qty.desc").await,
        vec![2, 4, 1, 3, 5],
        "nulls first when descending"
    );
    assert_eq!(
        api.ids("items?select=id&order=qty.desc.nullslast").await,
        vec![4, 1, 3, 5, 2]
    );
    assert_eq!(
        api.ids("items?select=id&order=qty.asc.nullsfirst").await,
        vec![2, 5, 3, 1, 4]
    );
    assert_eq!(
        api.ids("items?select=id&order=tag.asc,id.desc").await,
        vec![4, 2, 1, 5, 3]
    );

    assert_eq!(api.ids("items?id=neq.1&order=id").await, vec![2, 3, 4, 5]);
    assert_eq!(api.ids("items?qty=gt.2&order=id").await, vec![1, 4]);
    assert_eq!(api.ids("items?qty=gte.2&order=id").await, vec![1, 3, 4]);
    assert_eq!(api.ids("items?qty=lt.2&order=id").await, vec![5]);
    assert_eq!(api.ids("items?qty=lte.2&order=id").await, vec![3, 5]);
    assert_eq!(api.ids("items?qty=is.null").await, vec![2]);
    assert_eq!(api.ids("items?done=is.true&order=id").await, vec![2, 4]);
    assert_eq!(
        api.ids("items?tag=not.is.null&order=id").await,
        vec![1, 2, 4, 5]
    );
    assert_eq!(
        api.ids("items?name=in.(apple,%22date,%20dried%22)&order=id")
            .await,
        vec![1, 4]
    );
    assert_eq!(
        api.ids("items?id=not.in.(1,2,3)&order=id").await,
        vec![4, 5]
    );
    assert_eq!(api.ids("items?id=in.()").await, Vec::<i64>::new());
    assert_eq!(
        api.ids("items?name=like.*a*&order=id").await,
        vec![1, 2, 3, 4]
    );
    assert_eq!(api.ids("items?name=ilike.b*").await, vec![2]);
    assert_eq!(
        api.ids("items?name=like.b*").await,
        Vec::<i64>::new(),
        "like is case-sensitive"
    );
    assert_eq!(api.ids("items?order=id&limit=2&offset=1").await, vec![2, 3]);
    assert_eq!(
        api.ids("items?order=id&tag=eq.fruit&done=eq.false").await,
        vec![1],
        "filters are ANDed"
    );
}

/// A GET's status and `Content-Range`, with `Prefer: count=exact` when `count`.
async fn range(api: &Api, query: &str, count: bool) -> (u16, String) {
    let mut request = api.req(Method::GET, query);
    if count {
        request = request.header("prefer", "count=exact");
    }
    let res = request.send().await.expect("get");
    (res.status().as_u16(), header(&res, "content-range"))
}

#[tokio::test]
async fn filter_values_are_not_cut_to_the_column_type() {
    let api = Api::new().await;
    assert_eq!(api.get("codes?code=eq.abcZZZ").await, json!([]));
    assert_eq!(api.get("codes?amount=eq.1.234").await, json!([]));
    assert_eq!(api.get("codes?code=in.(abcd,x)").await, json!([]));
    let res = api
        .req(Method::DELETE, "codes?code=eq.abcZZZ")
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), 204);
    assert_eq!(
        api.get("codes?code=eq.abc&select=amount").await,
        json!([{"amount": 1.23}])
    );
}

#[tokio::test]
async fn a_migrations_session_settings_do_not_leak_into_later_requests() {
    let api = Api::new().await;
    let sql = "do $$ begin execute 'set default_transaction_read_only = on'; end $$";
    api.migrate("2", "session-setting", sql).await;
    for id in 20..25 {
        let res = api
            .req(Method::POST, "items")
            .json(&json!({"id": id, "name": "n"}))
            .send()
            .await
            .expect("post");
        assert_eq!(
            res.status(),
            201,
            "{}",
            res.text().await.unwrap_or_default()
        );
    }
}

#[tokio::test]
async fn counts_and_ranges() {
    let api = Api::new().await;
    let res = api
        .req(Method::GET, "items?select=*&offset=0&limit=2")
        .header("prefer", "count=exact")
        .send()
        .await
        .expect("get");
    assert_eq!(header(&res, "preference-applied"), "count=exact");
    assert_eq!(
        (res.status().as_u16(), header(&res, "content-range")),
        (206, "0-1/5".into())
    );

    assert_eq!(
        range(&api, "items?select=*", true).await,
        (200, "0-4/5".into())
    );
    assert_eq!(
        range(&api, "items?select=*&limit=2", false).await,
        (200, "0-1/*".into())
    );
    assert_eq!(
        range(&api, "items?id=eq.99", false).await,
        (200, "*/*".into())
    );
    assert_eq!(
        range(&api, "items?id=eq.99", true).await,
        (200, "*/0".into())
    );

    let res = api
        .req(Method::GET, "items?offset=10")
        .header("prefer", "count=exact")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 416);
    assert_eq!(
        res.text().await.expect("body"),
        r#"{"code":"PGRST103","details":"An offset of 10 was requested, but there are only 5 rows.","hint":null,"message":"Requested range not satisfiable"}"#
    );
}

#[tokio::test]
async fn inserts_as_the_sdk_sends_them() {
    let api = Api::new().await;
    // .insert([{…},{…}]).select()
    let res = api
        .req(Method::POST, "items?columns=%22id%22%2C%22name%22&select=*")
        .header("prefer", "return=representation")
        .json(&json!([{"id": 10, "name": "fig"}, {"id": 11, "name": "grape"}]))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "content-range"), "*/*");
    assert_eq!(header(&res, "preference-applied"), "return=representation");
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!([{"id":10,"name":"fig","qty":null,"tag":null,"done":false},{"id":11,"name":"grape","qty":null,"tag":null,"done":false}])
    );
    // .insert({…}) without .select(): 201 and InsForge's `[]` for PostgREST's empty body.
    let res = api
        .req(Method::POST, "items")
        .json(&json!({"id": 12, "name": "kiwi"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    assert_eq!(res.text().await.expect("body"), "[]");
    // Objects with different keys, without columns=: PostgREST refuses.
    let res = api
        .req(Method::POST, "items")
        .json(&json!([{"id": 13, "name": "a"}, {"id": 14}]))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.text().await.expect("body"),
        r#"{"code":"PGRST102","details":null,"hint":null,"message":"All object keys must match"}"#
    );
    // InsForge drops "" for non-text columns, keeps it for text ones.
    let res = api
        .req(Method::POST, "items")
        .header("prefer", "return=representation")
        .json(&json!({"id": 15, "name": "", "qty": ""}))
        .send()
        .await
        .expect("post");
    assert_eq!(
        res.json::<Value>().await.expect("json")[0],
        json!({"id":15,"name":"","qty":null,"tag":null,"done":false})
    );
    // A duplicate primary key: 409 with PostgreSQL's message and detail.
    let res = api
        .req(Method::POST, "items")
        .json(&json!({"id": 1, "name": "again"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.text().await.expect("body"),
        r#"{"code":"23505","details":"Key (id)=(1) already exists.","hint":null,"message":"duplicate key value violates unique constraint \"items_pkey\""}"#
    );
    // An upsert merges.
    let res = api
        .req(Method::POST, "items?on_conflict=id")
        .header(
            "prefer",
            "resolution=merge-duplicates,return=representation",
        )
        .json(&json!({"id": 1, "name": "apple pie"}))
        .send()
        .await
        .expect("post");
    assert_eq!(
        header(&res, "preference-applied"),
        "resolution=merge-duplicates, return=representation"
    );
    assert_eq!(
        res.json::<Value>().await.expect("json")[0]["name"],
        "apple pie"
    );
}

#[tokio::test]
async fn updates_and_deletes_as_the_sdk_sends_them() {
    let api = Api::new().await;
    // .update({…}).eq('id', 1).select()
    let res = api
        .req(Method::PATCH, "items?id=eq.1&select=*")
        .header("prefer", "return=representation")
        .json(&json!({"done": true}))
        .send()
        .await
        .expect("patch");
    assert_eq!(
        (res.status().as_u16(), header(&res, "content-range")),
        (200, "0-0/*".to_string())
    );
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!([{"id":1,"name":"apple","qty":5,"tag":"fruit","done":true}])
    );
    let res = api
        .req(Method::PATCH, "items?id=eq.3")
        .json(&json!({"qty": 7}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 204);
    assert_eq!(res.text().await.expect("body"), "");
    // A patch without columns changes nothing.
    let res = api
        .req(Method::PATCH, "items?id=eq.3")
        .header("prefer", "return=representation")
        .json(&json!({}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.expect("json"), json!([]));
    // .delete().eq('id', 5): no body, no Prefer.
    let res = api
        .req(Method::DELETE, "items?id=eq.5")
        .header("content-type", "application/json")
        .send()
        .await
        .expect("delete");
    assert_eq!(
        (res.status().as_u16(), header(&res, "content-range")),
        (204, "*/*".to_string())
    );
    assert_eq!(api.ids("items?order=id").await, vec![1, 2, 3, 4]);
    assert_eq!(
        api.get("items?id=eq.3&select=qty").await,
        json!([{"qty": 7}])
    );
}

#[tokio::test]
async fn single_object_responses() {
    let api = Api::new().await;
    let single = "application/vnd.pgrst.object+json";
    let res = api
        .req(Method::GET, "items?id=eq.1&select=id,name")
        .header("accept", single)
        .send()
        .await
        .expect("get");
    assert_eq!(
        header(&res, "content-type"),
        "application/vnd.pgrst.object+json; charset=utf-8"
    );
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!({"id":1,"name":"apple"})
    );
    let res = api
        .req(Method::GET, "items?id=eq.99")
        .header("accept", single)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 406);
    assert_eq!(
        res.text().await.expect("body"),
        r#"{"code":"PGRST116","details":"The result contains 0 rows","hint":null,"message":"JSON object requested, multiple (or no) rows returned"}"#
    );
    // A singular PATCH that matches two rows is refused and rolled back.
    let res = api
        .req(Method::PATCH, "items?tag=eq.fruit&done=eq.true")
        .header("accept", single)
        .json(&json!({"qty": 100}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 406);
    assert_eq!(
        api.get("items?id=in.(2,4)&select=qty&order=id").await,
        json!([{"qty": null}, {"qty": 9}])
    );
}

#[tokio::test]
async fn schemas_through_profiles_and_the_schema_parameter() {
    let api = Api::new().await;
    let res = api
        .req(Method::GET, "notes")
        .header("accept-profile", "extra")
        .send()
        .await
        .expect("get");
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!([{"id":1,"body":"in extra"}])
    );
    assert_eq!(
        api.get("notes?schema=extra").await,
        json!([{"id":1,"body":"in extra"}])
    );
    let res = api
        .req(Method::POST, "notes")
        .header("content-profile", "extra")
        .json(&json!({"id": 2, "body": "b"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    let res = api
        .req(Method::GET, "items")
        .header("accept-profile", "nope")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 406);
    assert_eq!(
        res.text().await.expect("body"),
        r#"{"code":"PGRST106","details":null,"hint":null,"message":"The schema must be one of the following: public, extra"}"#
    );
    let res = api
        .req(Method::GET, "items?schema=")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.expect("json")["message"],
        "The \"schema\" query parameter must be a single non-empty schema name."
    );
}

#[tokio::test]
async fn unknown_tables_routes_and_repeated_keys() {
    let api = Api::new().await;
    let res = api.req(Method::GET, "nope").send().await.expect("get");
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.text().await.expect("body"),
        r#"{"code":"42P01","details":null,"hint":null,"message":"relation \"public.nope\" does not exist"}"#
    );
    let res = api
        .req(Method::POST, "nope")
        .json(&json!({"a": 1}))
        .send()
        .await
        .expect("post");
    assert_eq!(
        (res.status().as_u16(), res.text().await.expect("body")),
        (404, "{}".to_string())
    );
    // InsForge's gateway turns a repeated key into `key[]`, which PostgREST does not know.
    let res = api
        .req(Method::GET, "items?id=gte.1&id=lte.3")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.expect("json")["message"],
        "column items.id[] does not exist"
    );
    let res = api
        .http
        .get(format!("{}/api/nope?x=1", api.project.url))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 404);
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("<pre>Cannot GET /api/nope</pre>")
    );
    let health: Value = api
        .http
        .get(format!("{}/api/health", api.project.url))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (health["status"].as_str(), health["service"].as_str()),
        (Some("ok"), Some("Insforge OSS Backend"))
    );
}
