use super::*;
use crate::insforge::query::Query;

fn todos() -> Table {
    let col = |name: &str, ty: &str, pk| Column {
        name: name.into(),
        type_sql: ty.into(),
        text_like: ty == "text",
        primary_key: pk,
    };
    Table {
        schema: "public".into(),
        name: "todos".into(),
        columns: vec![col("id", "uuid", true), col("title", "text", false)],
    }
}

fn query(pairs: &[(&str, &str)]) -> Query {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Query::parse(&pairs).expect("parses")
}

#[test]
fn values_are_bound_never_inlined() {
    let hostile = "x'); DROP TABLE todos; --";
    let st = select(&todos(), &query(&[("title", &format!("eq.{hostile}"))])).expect("builds");
    assert!(!st.sql.contains("DROP"), "{}", st.sql);
    assert_eq!(st.params, vec![Param::Text(hostile.into())]);
    assert!(
        st.sql
            .contains("\"todos\".\"title\" = CAST($1::text AS text)"),
        "{}",
        st.sql
    );
}

#[test]
fn identifiers_are_quoted() {
    let st = select(
        &todos(),
        &query(&[
            ("select", "\"id\\\"; drop table x; --\""),
            ("order", "title.desc"),
        ]),
    )
    .expect("builds");
    assert!(
        st.sql.contains("\"todos\".\"id\"\"; drop table x; --\""),
        "{}",
        st.sql
    );
    assert!(
        st.sql.contains("ORDER BY \"todos\".\"title\" DESC"),
        "{}",
        st.sql
    );
}

#[test]
fn an_empty_patch_changes_nothing() {
    let st = update(&todos(), &query(&[("id", "eq.1")]), &[], "{}".into()).expect("builds");
    assert!(!st.sql.contains("UPDATE"), "{}", st.sql);
    assert!(st.params.is_empty());
}

#[test]
fn unknown_filter_column_is_42703() {
    let err = select(&todos(), &query(&[("nope", "eq.1")])).expect_err("unknown column");
    assert_eq!((err.status, err.code.as_str()), (400, "42703"));
    assert_eq!(err.message, "column todos.nope does not exist");
}
