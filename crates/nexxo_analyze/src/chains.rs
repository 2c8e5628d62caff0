//! "Why is this here": shortest import chains from the entries, by breadth-first search over
//! static and dynamic imports.

use std::collections::VecDeque;

use crate::stats::{ModuleStats, Stats};

/// Each module's parent on a shortest chain from any entry, and its distance. Entries are
/// searched from together, in module order, so the result is deterministic.
pub fn shortest_paths(modules: &[ModuleStats]) -> (Vec<Option<usize>>, Vec<Option<u32>>) {
    let mut parents = vec![None; modules.len()];
    let mut depths: Vec<Option<u32>> = vec![None; modules.len()];
    let mut queue = VecDeque::new();
    for (at, module) in modules.iter().enumerate() {
        if module.entry {
            depths[at] = Some(0);
            queue.push_back(at);
        }
    }
    while let Some(at) = queue.pop_front() {
        let depth = depths[at].unwrap_or(0) + 1;
        let module = &modules[at];
        for &next in module.imports.iter().chain(&module.dynamic_imports) {
            if next < modules.len() && depths[next].is_none() {
                depths[next] = Some(depth);
                parents[next] = Some(at);
                queue.push_back(next);
            }
        }
    }
    (parents, depths)
}

/// The chain from an entry to `target` (entry first), following `parent` links; just
/// `[target]` for entries and modules no entry reaches. Stops on a loop in bad input.
pub fn chain_to(modules: &[ModuleStats], target: usize) -> Vec<usize> {
    let mut chain = vec![target];
    let mut at = target;
    while let Some(parent) = modules.get(at).and_then(|m| m.parent) {
        if chain.contains(&parent) || chain.len() > modules.len() {
            break;
        }
        chain.push(parent);
        at = parent;
    }
    chain.reverse();
    chain
}

/// The modules `query` names, nearest first: a package name (`react`, `@scope/pkg`) matches
/// its modules; otherwise a module id equal to the query, or ending with `/query`.
pub fn find_modules(stats: &Stats, query: &str) -> Vec<usize> {
    let query = query.trim_start_matches("./");
    let mut found: Vec<usize> = stats
        .modules
        .iter()
        .enumerate()
        .filter(|(_, module)| {
            module
                .package
                .and_then(|p| stats.packages.get(p))
                .is_some_and(|p| p.name == query)
        })
        .map(|(at, _)| at)
        .collect();
    if found.is_empty() {
        let suffix = format!("/{query}");
        found = stats
            .modules
            .iter()
            .enumerate()
            .filter(|(_, m)| m.id == query || m.id.ends_with(&suffix))
            .map(|(at, _)| at)
            .collect();
    }
    found.sort_by_key(|&at| (stats.modules[at].depth.unwrap_or(u32::MAX), at));
    found
}

/// The shortest chain to what `query` names, as module ids; `None` when nothing matches.
pub fn why(stats: &Stats, query: &str) -> Option<Vec<String>> {
    let target = *find_modules(stats, query).first()?;
    Some(
        chain_to(&stats.modules, target)
            .into_iter()
            .map(|at| stats.modules[at].id.clone())
            .collect(),
    )
}

/// The chains `nexxo why` prints: for a package name, one per installed copy (nearest module
/// of each folder), so a duplicate shows every way in; otherwise one, to the nearest match.
pub fn why_chains(stats: &Stats, query: &str) -> Vec<Vec<usize>> {
    let found = find_modules(stats, query);
    let mut chains = Vec::new();
    let mut packages_seen = std::collections::HashSet::new();
    for at in found {
        let module = &stats.modules[at];
        let by_package = module
            .package
            .and_then(|p| stats.packages.get(p))
            .is_some_and(|p| p.name == query.trim_start_matches("./"));
        if by_package {
            if packages_seen.insert(module.package) {
                chains.push(chain_to(&stats.modules, at));
            }
        } else {
            chains.push(chain_to(&stats.modules, at));
            break;
        }
    }
    chains
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{build_stats, StatsOptions};

    fn stats() -> Stats {
        build_stats(
            &crate::stats::tests::sample_graph(),
            &StatsOptions {
                tool: String::new(),
                version_of: &|_| None,
            },
        )
    }

    #[test]
    fn chains_are_shortest_and_start_at_an_entry() {
        let stats = stats();
        assert_eq!(
            why(&stats, "src/a.ts").unwrap(),
            vec!["src/main.ts", "src/a.ts"]
        );
        // A package name: its nearest module.
        assert_eq!(
            why(&stats, "dup").unwrap(),
            vec!["src/main.ts", "node_modules/dup/index.js"]
        );
        assert_eq!(why(&stats, "main.ts").unwrap(), vec!["src/main.ts"]);
        assert_eq!(why(&stats, "nothing-like-this"), None);
        // Both copies of the duplicate.
        let chains = why_chains(&stats, "dup");
        assert_eq!(chains.len(), 2);
        assert_eq!(
            stats.modules[*chains[1].last().unwrap()].id,
            "node_modules/lib/node_modules/dup/index.js"
        );
        assert_eq!(why_chains(&stats, "src/a.ts").len(), 1);
        assert!(why_chains(&stats, "nothing").is_empty());
    }

    #[test]
    fn loops_and_dynamic_imports() {
        let mut modules = vec![ModuleStats::default(); 3];
        modules[0].entry = true;
        modules[0].dynamic_imports = vec![1];
        modules[1].imports = vec![2, 0];
        modules[2].imports = vec![1];
        let (parents, depths) = shortest_paths(&modules);
        assert_eq!(parents, vec![None, Some(0), Some(1)]);
        assert_eq!(depths, vec![Some(0), Some(1), Some(2)]);
        for (module, parent) in modules.iter_mut().zip(parents) {
            module.parent = parent;
        }
        assert_eq!(chain_to(&modules, 2), vec![0, 1, 2]);
        // A parent loop (bad stats.json) ends instead of spinning.
        modules[0].parent = Some(2);
        assert!(chain_to(&modules, 2).len() <= 3);
    }
}
