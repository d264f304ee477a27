//! Schema builder. Plan semantics live here beside the attribute they govern:
//! requires-replace, use-state-for-unknown and defaults are flags the plan
//! pipeline applies, so resources do not repeat them.

use std::collections::BTreeMap;

use crate::proto::tfplugin6 as pb;

use super::value::{Type, Value};

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub deprecated: bool,
    /// A change to this attribute replaces the resource.
    pub requires_replace: bool,
    /// A computed value that does not change on update keeps its prior value
    /// instead of becoming "(known after apply)".
    pub use_state_for_unknown: bool,
    /// Planned when the configuration leaves the attribute null.
    pub default: Option<Value>,
}

impl Attribute {
    fn new(name: &str, ty: Type) -> Attribute {
        Attribute {
            name: name.to_string(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: false,
            requires_replace: false,
            use_state_for_unknown: false,
            default: None,
        }
    }
    pub fn required(name: &str, ty: Type) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(name, ty)
        }
    }
    pub fn optional(name: &str, ty: Type) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(name, ty)
        }
    }
    /// Set by the provider only.
    pub fn computed(name: &str, ty: Type) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(name, ty)
        }
    }
    /// Set by the user, or by the provider when the user leaves it null.
    pub fn optional_computed(name: &str, ty: Type) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(name, ty)
        }
    }
    pub fn desc(mut self, d: &str) -> Attribute {
        self.description = d.to_string();
        self
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    pub fn deprecated(mut self) -> Attribute {
        self.deprecated = true;
        self
    }
    pub fn replace(mut self) -> Attribute {
        self.requires_replace = true;
        self
    }
    pub fn keep_state(mut self) -> Attribute {
        self.use_state_for_unknown = true;
        self
    }
    /// A default makes the attribute optional + computed.
    pub fn default(mut self, v: Value) -> Attribute {
        self.default = Some(v);
        self.optional = true;
        self.computed = true;
        self.required = false;
        self
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        let mut description = self.description.clone();
        if let Some(d) = &self.default {
            if let Some(txt) = default_text(d) {
                description.push_str(&format!(" Defaults to `{txt}`."));
            }
        }
        pb::schema::Attribute {
            name: self.name.clone(),
            r#type: self.ty.to_json_bytes(),
            nested_type: None,
            description,
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecated,
        }
    }
}

fn default_text(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(format!("{s:?}")),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; the value is an object or null.
    Single,
    List,
    Set,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
    pub requires_replace: bool,
}

impl NestedBlock {
    pub fn single(name: &str, block: Block) -> NestedBlock {
        NestedBlock {
            name: name.to_string(),
            nesting: Nesting::Single,
            block,
            min_items: 0,
            max_items: 0,
            requires_replace: false,
        }
    }
    pub fn list(name: &str, block: Block) -> NestedBlock {
        NestedBlock {
            nesting: Nesting::List,
            ..NestedBlock::single(name, block)
        }
    }
    pub fn set(name: &str, block: Block) -> NestedBlock {
        NestedBlock {
            nesting: Nesting::Set,
            ..NestedBlock::single(name, block)
        }
    }
    pub fn min(mut self, n: i64) -> NestedBlock {
        self.min_items = n;
        self
    }
    pub fn max(mut self, n: i64) -> NestedBlock {
        self.max_items = n;
        self
    }
    pub fn replace(mut self) -> NestedBlock {
        self.requires_replace = true;
        self
    }
    pub fn ty(&self) -> Type {
        let obj = self.block.ty();
        match self.nesting {
            Nesting::Single => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

impl Block {
    pub fn new() -> Block {
        Block::default()
    }
    pub fn desc(mut self, d: &str) -> Block {
        self.description = d.to_string();
        self
    }
    pub fn attr(mut self, a: Attribute) -> Block {
        self.attributes.push(a);
        self
    }
    pub fn block(mut self, b: NestedBlock) -> Block {
        self.blocks.push(b);
        self
    }
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
    pub fn nested(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// The object type of this block's values.
    pub fn ty(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            attrs.insert(b.name.clone(), b.ty());
        }
        Type::Object(attrs)
    }

    /// An object of this block's type with every attribute null and every
    /// list/set block empty.
    pub fn empty_value(&self) -> Value {
        let mut m = BTreeMap::new();
        for a in &self.attributes {
            m.insert(a.name.clone(), Value::Null);
        }
        for b in &self.blocks {
            m.insert(
                b.name.clone(),
                match b.nesting {
                    Nesting::Single => Value::Null,
                    Nesting::List => Value::List(vec![]),
                    Nesting::Set => Value::Set(vec![]),
                },
            );
        }
        Value::Object(m)
    }

    fn to_proto(&self, version: i64) -> pb::schema::Block {
        pb::schema::Block {
            version,
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            block_types: self
                .blocks
                .iter()
                .map(|b| pb::schema::NestedBlock {
                    type_name: b.name.clone(),
                    block: Some(b.block.to_proto(0)),
                    nesting: match b.nesting {
                        Nesting::Single => pb::schema::nested_block::NestingMode::Single,
                        Nesting::List => pb::schema::nested_block::NestingMode::List,
                        Nesting::Set => pb::schema::nested_block::NestingMode::Set,
                    } as i32,
                    // Terraform wants min = max (0 or 1) for single blocks.
                    min_items: if b.nesting == Nesting::Single {
                        b.min_items.min(1)
                    } else {
                        b.min_items
                    },
                    max_items: if b.nesting == Nesting::Single {
                        b.min_items.min(1)
                    } else {
                        b.max_items
                    },
                })
                .collect(),
            description: self.description.clone(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecated,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(block: Block) -> Schema {
        Schema { version: 0, block }
    }
    pub fn version(mut self, v: i64) -> Schema {
        self.version = v;
        self
    }
    pub fn ty(&self) -> Type {
        self.block.ty()
    }
    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(self.block.to_proto(self.version)),
        }
    }
}
