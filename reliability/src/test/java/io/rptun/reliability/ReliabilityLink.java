package io.rptun.reliability;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.sim.ChildJvmLauncher;
import io.rptun.sim.RemoteServices;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A host {@link Rptun} in this JVM over a fresh {@code /dev/shm/rptun-rel-<suite>-<uuid>} file, with its
 * remote in a child JVM ({@code RemoteMain}, optionally with the suites' {@link RemoteServices}). Closing it
 * stops the link, SIGKILLs a child still running, deletes the file and reports anything left: every suite
 * calls {@link #close()} from {@code @AfterEach}, so a failed run cleans up too.
 */
final class ReliabilityLink implements AutoCloseable {
    /** Prefix of every shared file the suites create (the crash suite checks nothing else is left). */
    static final String PREFIX = "rptun-rel-";
    /** How long a (busy, shared) machine may take to boot a child JVM and bring a session up. */
    static final Duration BOOT = Duration.ofSeconds(90);

    private final Path path;
    private final Path log;
    private final ChildJvmLauncher launcher;
    private final SimOptions options;
    private @Nullable Rptun host;

    private ReliabilityLink(String suite, List<String> remoteArgs) {
        String name = PREFIX + suite + "-" + UUID.randomUUID();
        this.path = SimFile.shmPath(name);
        // Not INHERIT: surefire's forked JVM talks to Maven over its stdout, which a child must not write to.
        this.log = Path.of("target", "reliability-remote", name + ".log").toAbsolutePath();
        try {
            Files.createDirectories(log.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.launcher = ChildJvmLauncher.of(remoteArgs, ProcessBuilder.Redirect.appendTo(log.toFile()));
        this.options = SimOptions.defaults("unused").withPath(path);
    }

    /**
     * A link whose remote runs the given services (and the built-in echo and sink when asked).
     *
     * @param services {@link RemoteServices} classes loaded by name in the child JVM
     */
    @SafeVarargs
    static ReliabilityLink of(String suite, boolean echoAndSink, Class<? extends RemoteServices>... services) {
        List<String> args = new ArrayList<>();
        if (echoAndSink) {
            args.add("--echo");
            args.add("--sink");
        }
        for (Class<? extends RemoteServices> s : services) {
            args.add("--service-class");
            args.add(s.getName());
        }
        return new ReliabilityLink(suite, args);
    }

    /** Creates the host (OFFLINE) without starting it. */
    Rptun create() {
        Rptun h = Rptun.create(SimDriver.host(options, launcher), RptunOptions.defaults().withReadyTimeout(BOOT));
        host = h;
        return h;
    }

    /** Creates and starts the host: the remote JVM is up when this returns. */
    Rptun start() {
        Rptun h = create();
        h.start();
        return h;
    }

    Path path() {
        return path;
    }

    SimOptions options() {
        return options;
    }

    ChildJvmLauncher launcher() {
        return launcher;
    }

    /** The current child, if one was launched. */
    @Nullable Process child() {
        return launcher.process();
    }

    /** Where the remote JVMs' output goes (every session's, appended). */
    Path log() {
        return log;
    }

    /**
     * Closes the host (stopping the remote through the mailbox), kills a child still alive, deletes the file,
     * and copies what the remotes printed to this JVM's output.
     *
     * @throws IllegalStateException when a child is still alive afterwards
     */
    @Override
    public void close() throws IOException {
        try {
            Rptun h = host;
            if (h != null) {
                h.close();
            }
        } finally {
            launcher.kill();
            Files.deleteIfExists(path);
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log)) {
                    if (!line.startsWith("SLF4J(")) { // no logger binding in the child: SLF4J says so at every start
                        System.out.println("remote| " + line);
                    }
                }
            }
        }
        Process p = launcher.process();
        if (p != null && p.isAlive()) {
            throw new IllegalStateException("the remote JVM " + p.pid() + " is still alive");
        }
    }
}
