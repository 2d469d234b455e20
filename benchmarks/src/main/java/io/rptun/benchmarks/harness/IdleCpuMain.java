package io.rptun.benchmarks.harness;

import io.rptun.benchmarks.SimLink;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.sim.FutexDoorbell;
import io.rptun.sim.IdleStrategy;
import io.rptun.sim.SimRemote;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The CPU an idle link costs each side: a {@code SimDriver} host in this JVM and
 * {@code io.rptun.sim.RemoteMain --echo --sink} in a child JVM, first exercised ({@code 10,000} echoed
 * messages, so both sides have been busy and compiled their paths), then left alone for {@code --settle}
 * seconds and measured for {@code --seconds}: user plus system time of each whole process (every thread:
 * serving threads, the simulator's watchdogs, JIT, GC) from {@code /proc/PID/stat}, as a percentage of
 * one core. Also counts the host doorbell's futex sleeps in that window; {@code --threads} lists the
 * threads of each side that ran meanwhile, with their clock ticks. {@code --host-idle-wait-ms} changes the
 * host's {@code RptunOptions.idleWait} (how often its idle serving thread wakes to look anyway; the remote
 * keeps the default, 100 ms), to see what that safety net costs.
 *
 * <p>{@code futex} is the default idle strategy (spin, yield, park, then sleep in the futex);
 * {@code busy-spin} is there for contrast (a serving thread that never sleeps costs a core).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *      io.rptun.benchmarks.harness.IdleCpuMain [--modes futex,busy-spin] [--seconds 20] [--settle 3] [--threads] [--host-idle-wait-ms 100]
 *      [--json FILE]
 * </pre>
 */
public final class IdleCpuMain {
    /** One mode's result. */
    record Result(String mode, double seconds, double hostPercent, double remotePercent, long futexWaits,
            long futexTimeouts) {
    }

    private static final int EXERCISE = 10_000;

    private IdleCpuMain() {
    }

    public static void main(String[] args) throws Exception {
        List<String> modes = List.of("futex", "busy-spin");
        double seconds = 20;
        double settle = 3;
        @Nullable Path json = null;
        boolean verbose = false;
        Duration hostIdleWait = RptunOptions.defaults().idleWait();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--modes" -> modes = List.of(args[++i].split(","));
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--settle" -> settle = Double.parseDouble(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                case "--threads" -> verbose = true;
                case "--host-idle-wait-ms" -> hostIdleWait = Duration.ofMillis(Long.parseLong(args[++i]));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        long ticksPerSecond = clockTicks();
        List<Result> results = new ArrayList<>();
        for (String mode : modes) {
            boolean spin = switch (mode) {
                case "futex" -> false;
                case "busy-spin" -> true;
                default -> throw new IllegalArgumentException("mode " + mode + " (futex or busy-spin)");
            };
            System.out.printf("idle %s: %.0f s settle, %.0f s measured%n", mode, settle, seconds);
            results.add(measure(mode, spin, seconds, settle, ticksPerSecond, verbose, hostIdleWait));
        }
        System.out.println();
        System.out.println(table(results));
        if (json != null) {
            write(json, results);
        }
    }

    static Result measure(String mode, boolean spin, double seconds, double settle, long ticksPerSecond,
            boolean verbose, Duration hostIdleWait)
            throws IOException, InterruptedException {
        IdleStrategy idle = spin ? IdleStrategy.busySpin() : IdleStrategy.backoff();
        List<String> remoteArgs = spin ? List.of("--echo", "--sink", "--busy-spin") : List.of("--echo", "--sink");
        try (SimLink link = SimLink.childJvm("idle", idle, RptunOptions.defaults().withIdleWait(hostIdleWait), remoteArgs,
                ProcessBuilder.Redirect.INHERIT)) {
            Process child = link.childProcess();
            if (child == null) {
                throw new IllegalStateException("no child JVM");
            }
            CountDownLatch echoes = new CountDownLatch(EXERCISE);
            RpmsgEndpoint ep = link.device().createEndpoint(SimRemote.ECHO, (e, msg) -> echoes.countDown());
            if (!ep.awaitBound(Duration.ofSeconds(30))) {
                throw new IllegalStateException(SimRemote.ECHO + " not bound");
            }
            byte[] message = new byte[64];
            for (int i = 0; i < EXERCISE; i++) {
                ep.send(message);
            }
            if (!echoes.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("echoes missing: " + echoes.getCount());
            }
            Thread.sleep((long) (settle * 1000));
            FutexDoorbell bell = link.hostDriver().futexDoorbell();
            FutexDoorbell.Stats bellBefore = bell.stats();
            long self = ProcessHandle.current().pid();
            Map<String, Long> hostThreads = threadTicks(self);
            Map<String, Long> remoteThreads = threadTicks(child.pid());
            long hostBefore = cpuTicks(self);
            long remoteBefore = cpuTicks(child.pid());
            long start = System.nanoTime();
            Thread.sleep((long) (seconds * 1000));
            long hostAfter = cpuTicks(self);
            long remoteAfter = cpuTicks(child.pid());
            if (verbose) {
                System.out.println("  host threads that ran (clock ticks): " + busiest(hostThreads, threadTicks(self)));
                System.out.println("  remote threads that ran (clock ticks): "
                        + busiest(remoteThreads, threadTicks(child.pid())));
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            FutexDoorbell.Stats bellAfter = bell.stats();
            if (!child.isAlive()) {
                throw new IllegalStateException("the remote JVM exited during the measurement");
            }
            return new Result(mode, elapsed, 100.0 * (hostAfter - hostBefore) / ticksPerSecond / elapsed,
                    100.0 * (remoteAfter - remoteBefore) / ticksPerSecond / elapsed,
                    bellAfter.futexWaits() - bellBefore.futexWaits(),
                    bellAfter.futexTimeouts() - bellBefore.futexTimeouts());
        }
    }

    /**
     * utime + stime of each thread of a process, by "name/tid" ({@code /proc/PID/task/TID/stat}); threads
     * that ended meanwhile are missing.
     */
    static Map<String, Long> threadTicks(long pid) throws IOException {
        Map<String, Long> ticks = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
                    ticks.put(name + "/" + task.getFileName(), Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
                } catch (IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read
                }
            }
        }
        return ticks;
    }

    /** The threads whose time grew from {@code before} to {@code after}, most first. */
    static String busiest(Map<String, Long> before, Map<String, Long> after) {
        List<Map.Entry<String, Long>> grew = new ArrayList<>();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d > 0) {
                grew.add(Map.entry(k, d));
            }
        });
        grew.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        return grew.isEmpty() ? "none" : grew.toString();
    }

    /** utime + stime of a process, in clock ticks (fields 14 and 15 of {@code /proc/PID/stat}). */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** {@code sysconf(_SC_CLK_TCK)}: the unit of {@code /proc/PID/stat}'s times (100 on Linux, as a rule). */
    @SuppressWarnings("restricted") // a downcall: the harness runs with --enable-native-access
    static long clockTicks() {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle sysconf = linker.downcallHandle(linker.defaultLookup().find("sysconf").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            long ticks = (long) sysconf.invokeExact(2); // _SC_CLK_TCK on Linux
            return ticks > 0 ? ticks : 100;
        } catch (Throwable e) {
            return 100;
        }
    }

    static String table(List<Result> results) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-10s %8s %12s %14s %12s %14s%n", "idle", "seconds", "host % core",
                "remote % core", "futex waits", "futex timeouts"));
        for (Result r : results) {
            b.append(String.format(Locale.ROOT, "%-10s %8.1f %12.2f %14.2f %12d %14d%n", r.mode(), r.seconds(),
                    r.hostPercent(), r.remotePercent(), r.futexWaits(), r.futexTimeouts()));
        }
        return b.toString();
    }

    private static void write(Path file, List<Result> results) throws IOException {
        StringBuilder b = new StringBuilder("{\"results\": [");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            b.append(i == 0 ? "\n" : ",\n").append(String.format(Locale.ROOT,
                    "  {\"mode\": %s, \"seconds\": %.2f, \"hostPercent\": %.3f, \"remotePercent\": %.3f,"
                            + " \"futexWaits\": %d, \"futexTimeouts\": %d}",
                    Json.quote(r.mode()), r.seconds(), r.hostPercent(), r.remotePercent(), r.futexWaits(),
                    r.futexTimeouts()));
        }
        b.append("\n]}\n");
        Files.writeString(file, b.toString());
    }
}
