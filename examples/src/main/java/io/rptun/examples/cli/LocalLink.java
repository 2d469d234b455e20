package io.rptun.examples.cli;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.sim.ChildJvmLauncher;
import io.rptun.sim.IdleStrategy;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A host in this JVM and a remote in a child JVM over {@code /dev/shm/rptun-NAME-PID}: what {@code demo}
 * and {@code ping} run against. Closing it (also from the Ctrl-C hook) stops the remote, kills it if it
 * does not stop, unmaps and deletes the file.
 */
final class LocalLink implements AutoCloseable {
    private final Path file;
    private final ChildJvmLauncher launcher;
    private final Rptun host;
    private final Thread onCtrlC;
    private final RpmsgDevice device;

    private LocalLink(String name, boolean busySpin, RingOptions rings) {
        this.file = SimFile.shmPath("rptun-" + name + "-" + ProcessHandle.current().pid());
        List<String> args = new ArrayList<>(List.of("--echo", "--sink"));
        if (busySpin) {
            args.add("--busy-spin");
        }
        this.launcher = ChildJvmLauncher.of(args, ProcessBuilder.Redirect.DISCARD);
        SimOptions options = rings.apply(SimOptions.defaults(name).withPath(file), null)
                .withIdle(busySpin ? IdleStrategy.busySpin() : IdleStrategy.backoff());
        this.host = Rptun.create(SimDriver.host(options, launcher), RptunOptions.defaults()
                .withReadyTimeout(Duration.ofSeconds(30)));
        this.onCtrlC = new Thread(this::closeQuietly, "rptun-cleanup");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try {
            this.device = host.start();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Lays out the file with {@code rings} and boots the remote JVM; returns once both sides are up.
     *
     * @throws IllegalArgumentException if a ring option is out of range (before anything is created)
     */
    static LocalLink start(String name, boolean busySpin, RingOptions rings) {
        return new LocalLink(name, busySpin, rings); // rings.apply() checks them before the file is made
    }

    Rptun host() {
        return host;
    }

    RpmsgDevice device() {
        return device;
    }

    Path file() {
        return file;
    }

    /** The remote's pid. */
    long remotePid() {
        Process p = launcher.process();
        return p == null ? -1 : p.pid();
    }

    private void closeQuietly() {
        try {
            host.close();
        } catch (RuntimeException ignored) {
            launcher.kill();
        }
    }

    @Override
    public void close() {
        try {
            closeQuietly();
            launcher.kill();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onCtrlC);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is what runs this
            }
        }
    }

    /** True once the file is gone and the remote JVM has exited. */
    boolean cleanedUp() {
        Process p = launcher.process();
        return !Files.exists(file) && (p == null || !p.isAlive());
    }
}
