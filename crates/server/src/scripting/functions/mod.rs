//! Function libraries: code loaded with `FUNCTION LOAD`, whose Lua
//! functions are registered by name and called with `FCALL`.
//!
//! Functions run in an interpreter of their own, apart from the EVAL one
//! (SCRIPT FLUSH does not touch them), and belong to the data set: DUMP
//! and RESTORE move them, and persistence will store them. This module
//! keeps the registry ([`Libraries`]); [`load`] turns library code into a
//! [`Library`] by running it in the interpreter, and [`payload`] is the
//! FUNCTION DUMP/RESTORE format.

pub mod load;
pub mod metadata;
pub mod payload;

use super::shebang::ScriptFlags;
use super::ScriptEngine;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// A registered function.
pub struct FunctionInfo {
    /// Its name as registered (case kept; lookups ignore case).
    pub name: String,
    /// `description` given to `redis.register_function`, if any.
    pub description: Option<Vec<u8>>,
    /// Flags given to `redis.register_function`.
    pub flags: ScriptFlags,
    /// The Lua callback, in the functions interpreter (referenced from its
    /// registry, so a run pushes it with one registry read).
    pub func: mlua::RegistryKey,
}

/// A loaded library.
pub struct Library {
    /// Library name (from its `name=` metadata).
    pub name: String,
    /// Its whole code, metadata line included (FUNCTION LIST WITHCODE,
    /// FUNCTION DUMP).
    pub code: Vec<u8>,
    /// Its functions, in registration order.
    pub functions: Vec<Rc<FunctionInfo>>,
}

impl Library {
    /// Bytes this library holds outside the interpreter, for INFO.
    fn memory(&self) -> usize {
        let functions: usize = self
            .functions
            .iter()
            .map(|f| {
                std::mem::size_of::<FunctionInfo>()
                    + f.name.len()
                    + f.description.as_ref().map_or(0, Vec::len)
            })
            .sum();
        std::mem::size_of::<Library>() + self.name.len() + self.code.len() + functions
    }
}

/// The functions state of the server: the interpreter (created on first
/// use, taken out while a function runs) and the registry.
#[derive(Default)]
pub struct Functions {
    /// The functions interpreter.
    pub engine: Option<ScriptEngine>,
    /// Loaded libraries.
    pub libs: Libraries,
}

/// Libraries by name and their functions by case-insensitive name.
#[derive(Default)]
pub struct Libraries {
    /// By name, case-sensitive as Redis keeps them.
    libraries: BTreeMap<String, Library>,
    /// Every library's functions by lower-cased name.
    functions: HashMap<String, Rc<FunctionInfo>>,
    /// Sum of [`Library::memory`].
    memory: usize,
}

/// `name` lower-cased, borrowing when it already is.
fn folded(name: &[u8]) -> std::borrow::Cow<'_, str> {
    let text = String::from_utf8_lossy(name);
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(text.to_ascii_lowercase())
    } else {
        text
    }
}

impl Libraries {
    /// The function called `name` (any case).
    pub fn function(&self, name: &[u8]) -> Option<&Rc<FunctionInfo>> {
        self.functions.get(folded(name).as_ref())
    }

    /// The library called `name` (exact case).
    pub fn library(&self, name: &[u8]) -> Option<&Library> {
        std::str::from_utf8(name)
            .ok()
            .and_then(|n| self.libraries.get(n))
    }

    /// Libraries in name order.
    pub fn iter(&self) -> impl Iterator<Item = &Library> {
        self.libraries.values()
    }

    /// Number of libraries.
    pub fn library_count(&self) -> usize {
        self.libraries.len()
    }

    /// Number of functions in all libraries.
    pub fn function_count(&self) -> usize {
        self.functions.len()
    }

    /// Bytes the registry holds (INFO `used_memory_functions`).
    pub fn memory(&self) -> usize {
        self.memory
    }

    /// Adds `lib` and indexes its functions (no collision checks).
    fn link(&mut self, lib: Library) {
        for f in &lib.functions {
            self.functions
                .insert(f.name.to_ascii_lowercase(), f.clone());
        }
        self.memory += lib.memory();
        self.libraries.insert(lib.name.clone(), lib);
    }

    /// Removes the library called `name` and its functions.
    fn unlink(&mut self, name: &str) -> Option<Library> {
        let lib = self.libraries.remove(name)?;
        for f in &lib.functions {
            self.functions.remove(&f.name.to_ascii_lowercase());
        }
        self.memory -= lib.memory();
        Some(lib)
    }

    /// FUNCTION DELETE: false when there is no such library.
    pub fn delete(&mut self, name: &[u8]) -> bool {
        std::str::from_utf8(name)
            .ok()
            .and_then(|n| self.unlink(n))
            .is_some()
    }

    /// The first function of `lib` that another library already has.
    fn collision<'a>(&self, lib: &'a Library) -> Option<&'a str> {
        lib.functions
            .iter()
            .find(|f| self.functions.contains_key(&f.name.to_ascii_lowercase()))
            .map(|f| f.name.as_str())
    }

    /// Adds a freshly loaded library, replacing one of the same name when
    /// `replace`; on error (name taken, a function name taken by another
    /// library) nothing changes. Errors carry Redis's message.
    pub fn add(&mut self, lib: Library, replace: bool) -> Result<(), String> {
        let old = match self.libraries.contains_key(&lib.name) {
            true if !replace => return Err(format!("Library '{}' already exists", lib.name)),
            true => self.unlink(&lib.name),
            false => None,
        };
        if let Some(name) = self.collision(&lib) {
            let err = format!("Function {name} already exists");
            if let Some(old) = old {
                self.link(old);
            }
            return Err(err);
        }
        self.link(lib);
        Ok(())
    }

    /// Moves every library of `other` in (FUNCTION RESTORE APPEND or
    /// REPLACE): a library whose name exists is an error, or replaces the
    /// existing one when `replace`; a function name another library has is
    /// an error. On error nothing changes.
    pub fn join(&mut self, other: Libraries, replace: bool) -> Result<(), String> {
        let mut replaced = Vec::new();
        for name in other.libraries.keys() {
            if self.libraries.contains_key(name) {
                if !replace {
                    return Err(format!("Library {name} already exists"));
                }
                replaced.extend(self.unlink(name));
            }
        }
        let collision = other
            .libraries
            .values()
            .find_map(|lib| self.collision(lib))
            .map(|name| format!("Function {name} already exists"));
        if let Some(err) = collision {
            for lib in replaced {
                self.link(lib);
            }
            return Err(err);
        }
        for (_, lib) in other.libraries {
            self.link(lib);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(lua: &mlua::Lua, name: &str, functions: &[&str]) -> Library {
        Library {
            name: name.into(),
            code: b"#!lua name=x\n".to_vec(),
            functions: functions
                .iter()
                .map(|f| {
                    Rc::new(FunctionInfo {
                        name: (*f).into(),
                        description: None,
                        flags: ScriptFlags::default(),
                        func: lua.create_registry_value(1).unwrap(),
                    })
                })
                .collect(),
        }
    }

    #[test]
    fn add_checks_names_and_collisions_atomically() {
        let lua = mlua::Lua::new();
        let mut libs = Libraries::default();
        libs.add(lib(&lua, "a", &["f1", "F2"]), false).unwrap();
        assert!(libs.function(b"f2").is_some());
        assert_eq!(
            libs.add(lib(&lua, "a", &["g"]), false).unwrap_err(),
            "Library 'a' already exists"
        );
        assert_eq!(
            libs.add(lib(&lua, "b", &["g", "F1"]), false).unwrap_err(),
            "Function F1 already exists"
        );
        assert_eq!(libs.function_count(), 2);
        libs.add(lib(&lua, "a", &["f1"]), true).unwrap();
        assert!(libs.function(b"f2").is_none());
        assert!(libs.delete(b"a"));
        assert!(!libs.delete(b"a"));
        assert_eq!((libs.library_count(), libs.memory()), (0, 0));
    }

    #[test]
    fn join_reverts_on_collision() {
        let lua = mlua::Lua::new();
        let mut libs = Libraries::default();
        libs.add(lib(&lua, "a", &["f1"]), false).unwrap();
        libs.add(lib(&lua, "b", &["f2"]), false).unwrap();
        let mut other = Libraries::default();
        other.add(lib(&lua, "a", &["f2"]), false).unwrap();
        let err = libs.join(other, true).unwrap_err();
        assert_eq!(err, "Function f2 already exists");
        assert!(libs.function(b"f1").is_some());
        let mut other = Libraries::default();
        other.add(lib(&lua, "a", &["f3"]), false).unwrap();
        assert_eq!(
            libs.join(other, false).unwrap_err(),
            "Library a already exists"
        );
    }
}
