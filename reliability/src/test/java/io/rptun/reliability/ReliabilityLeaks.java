package io.rptun.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What a run may leave behind, looked at rather than assumed: shared files in {@code /dev/shm}, mappings
 * in {@code /proc/self/maps}, live child processes, live threads of this JVM.
 */
final class ReliabilityLeaks {
    private static final Path SHM = Path.of("/dev/shm");

    private ReliabilityLeaks() {
    }

    /** Files in /dev/shm whose name starts with {@code prefix}. */
    static List<Path> shmFiles(String prefix) {
        try (Stream<Path> files = Files.list(SHM)) {
            return files.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lines of /proc/self/maps that mention {@code needle} (a path or a prefix of file names). */
    static List<String> mappings(String needle) {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains(needle)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Descendants of this JVM that are alive, as "pid command". */
    static List<String> liveDescendants() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().command().orElse("?")).toList();
    }

    /** Names of the live threads of this JVM, sorted. */
    static List<String> threadNames() {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive()) {
                names.add(t.getName());
            }
        }
        names.sort(null);
        return names;
    }

    /** Live threads whose name matches {@code regex}. */
    static List<String> threadsNamed(String regex) {
        return threadNames().stream().filter(n -> n.matches(regex)).toList();
    }

    /**
     * Looks again until {@code problems} returns an empty list or {@code timeout} passed (threads and
     * processes end a little after they were told to), and returns the last answer.
     */
    static List<String> settle(Duration timeout, Supplier<List<String>> problems) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> last = problems.get();
        while (!last.isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(20_000_000);
            last = problems.get();
        }
        return last;
    }
}
