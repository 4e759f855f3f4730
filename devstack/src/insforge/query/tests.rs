use super::*;

fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
    q.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn parses_sdk_shapes() {
    let q = Query::parse(&pairs(&[
        ("select", "*"),
        ("order", "created_at.desc.nullslast,title"),
        ("id", "eq.abc-1"),
        ("offset", "0"),
        ("limit", "10"),
        ("columns", "\"title\",\"done\""),
    ]))
    .expect("parses");
    assert_eq!(q.select, vec![SelectItem::Star]);
    assert_eq!(q.order.len(), 2);
    assert!(q.order[0].descending);
    assert_eq!(q.order[0].nulls_first, Some(false));
    assert!(!q.order[1].descending);
    assert_eq!(q.filters[0].op, Op::Cmp(CmpOp::Eq, "abc-1".into()));
    assert_eq!((q.limit, q.offset), (Some(10), Some(0)));
    assert_eq!(q.columns, Some(vec!["title".into(), "done".into()]));
}

#[test]
fn parses_select_aliases_and_casts() {
    let q = Query::parse(&pairs(&[("select", "id,label:title,created_at::text")])).expect("parses");
    assert_eq!(
        q.select[1],
        SelectItem::Column {
            name: "title".into(),
            alias: Some("label".into()),
            cast: None
        }
    );
    assert_eq!(
        q.select[2],
        SelectItem::Column {
            name: "created_at".into(),
            alias: None,
            cast: Some("text".into())
        }
    );
    assert!(Query::parse(&pairs(&[("select", "id::text;drop")])).is_err());
}

#[test]
fn parses_in_lists_with_quotes() {
    let q = Query::parse(&pairs(&[("title", "in.(a,\"b,c\",\"d\\\"e\")")])).expect("parses");
    assert_eq!(
        q.filters[0].op,
        Op::In(vec!["a".into(), "b,c".into(), "d\"e".into()])
    );
}

#[test]
fn parses_negation_like_and_is() {
    let q = Query::parse(&pairs(&[
        ("title", "not.ilike.*Milk*"),
        ("done", "is.null"),
    ]))
    .expect("parses");
    assert!(q.filters[0].negate);
    assert_eq!(
        q.filters[0].op,
        Op::Like {
            insensitive: true,
            pattern: "%Milk%".into()
        }
    );
    assert_eq!(q.filters[1].op, Op::Is(IsValue::Null));
}

#[test]
fn rejects_bad_grammar_with_pgrst100() {
    for bad in [
        ("id", "equals.1"),
        ("id", "nodot"),
        ("order", "a.sideways"),
        ("limit", "-1"),
        ("done", "is.maybe"),
    ] {
        let err = Query::parse(&pairs(&[bad])).expect_err("must fail");
        assert_eq!(
            (err.status, err.code.as_str()),
            (400, "PGRST100"),
            "{bad:?}"
        );
    }
}

#[test]
fn prefer_combines_tokens() {
    let p = Prefer::parse(
        [
            "resolution=merge-duplicates,return=representation",
            "count=exact",
        ]
        .into_iter(),
    );
    assert_eq!(p.representation, Return::Representation);
    assert!(p.count_exact);
    assert_eq!(p.resolution, Some(Resolution::MergeDuplicates));
}
