package io.rptun.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of the library depend on each other without cycles, so each layer can be read, tested and
 * changed on its own. Dependencies are read from the sources: imports and fully qualified names in code
 * (not in comments).
 */
class PackageCyclesTest {
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.rptun(?:\\.[a-z]\\w*)+)\\.[A-Z]");

    /** Package to the packages its sources under {@code root} refer to. */
    static Map<String, Set<String>> dependencies(Path root) throws IOException {
        Map<String, Set<String>> deps = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                Matcher p = PACKAGE.matcher(source);
                if (!p.find()) {
                    continue;
                }
                String pkg = p.group(1);
                Set<String> to = deps.computeIfAbsent(pkg, k -> new TreeSet<>());
                for (String line : source.lines().toList()) {
                    String l = line.strip();
                    if (l.startsWith("*") || l.startsWith("/*") || l.startsWith("//")) {
                        continue;
                    }
                    Matcher r = REFERENCE.matcher(l);
                    while (r.find()) {
                        if (!r.group(1).equals(pkg)) {
                            to.add(r.group(1));
                        }
                    }
                }
            }
        }
        return deps;
    }

    /** Every cycle through each package, as paths "a -> b -> a". */
    static List<String> cycles(Map<String, Set<String>> deps) {
        List<String> found = new ArrayList<>();
        for (String start : deps.keySet()) {
            walk(deps, start, start, new ArrayList<>(List.of(start)), new TreeSet<>(), found);
        }
        return found;
    }

    private static void walk(Map<String, Set<String>> deps, String start, String at, List<String> path,
            Set<String> seen, List<String> found) {
        for (String next : deps.getOrDefault(at, Set.of())) {
            if (next.equals(start)) {
                found.add(String.join(" -> ", path) + " -> " + start);
            } else if (deps.containsKey(next) && seen.add(next)) {
                path.add(next);
                walk(deps, start, next, path, seen, found);
                path.removeLast();
            }
        }
    }

    @Test
    void theCorePackagesHaveNoCycles() {
        try {
            Map<String, Set<String>> deps = dependencies(Path.of("src/main/java"));
            assertThat(deps).containsKeys("io.rptun.core.heap", "io.rptun.core.layout", "io.rptun.core.virtio");
            assertThat(cycles(deps)).isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aCycleIsFound() {
        Map<String, Set<String>> deps = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
        assertThat(cycles(deps)).contains("a -> b -> c -> a").noneMatch(c -> c.startsWith("d"));
    }
}
