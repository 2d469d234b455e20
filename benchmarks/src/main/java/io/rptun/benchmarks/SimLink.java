package io.rptun.benchmarks;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.sim.ChildJvmLauncher;
import io.rptun.sim.IdleStrategy;
import io.rptun.sim.RemoteServices;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import io.rptun.sim.SimRemote;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A host and a simulated remote over one mapped {@code /dev/shm} file, as the benchmarks need them: the
 * remote either in a thread of this JVM ({@link #inProcess}) or in a child JVM ({@link #childJvm}). Every
 * link gets a file name of its own (pid and a counter), and {@link #close()} stops both sides and deletes
 * the file, so a benchmark leaves nothing behind.
 *
 * <p>Both sides use NuttX's table with {@value #NUM}-entry vrings of {@value #BUFFER_SIZE}-byte buffers
 * (the same 256 × 512 as the vring benchmarks), so a sender can have 256 messages in flight.
 */
public final class SimLink implements AutoCloseable {
    /** Descriptors per vring. */
    public static final int NUM = 256;
    /** Bytes per buffer, the 16-byte rpmsg header included: 496 payload bytes at most. */
    public static final int BUFFER_SIZE = 512;

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Duration READY = Duration.ofSeconds(30);

    private final Path path;
    private final Rptun host;
    private final SimDriver hostDriver;
    private final @Nullable SimRemote remote;
    private final @Nullable ChildJvmLauncher child;
    private final RpmsgDevice device;
    private final Thread cleaner;

    private SimLink(Path path, Rptun host, SimDriver hostDriver, @Nullable SimRemote remote,
            @Nullable ChildJvmLauncher child, RpmsgDevice device) {
        this.path = path;
        this.host = host;
        this.hostDriver = hostDriver;
        this.remote = remote;
        this.child = child;
        this.device = device;
        // A benchmark that fails ends its JVM without a tear-down: the file must not outlive it.
        this.cleaner = new Thread(() -> {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // nothing more to do at exit
            }
        }, "sim-link-cleaner");
        Runtime.getRuntime().addShutdownHook(cleaner);
    }

    /** A fresh file name under /dev/shm for this process. */
    public static Path freshPath(String tag) {
        return SimFile.shmPath("rptun-bench-" + tag + "-" + ProcessHandle.current().pid() + "-"
                + COUNTER.incrementAndGet());
    }

    private static SimOptions options(Path path, IdleStrategy idle) {
        return options(path, idle, NUM);
    }

    /** The same with {@code num} descriptors (and buffers) per vring, in a region large enough for them. */
    private static SimOptions options(Path path, IdleStrategy idle, int num) {
        SimOptions defaults = SimOptions.defaults("unused");
        long region = Math.max(defaults.regionSize(), SimOptions.regionFor(num, BUFFER_SIZE));
        return defaults.withPath(path).withRegionSize(region).withTable(SimOptions.table(num, BUFFER_SIZE))
                .withIdle(idle).withAttachTimeout(READY);
    }

    /**
     * A host in this JVM and a remote in a thread of this JVM, each side's serving thread waiting as its
     * {@link IdleStrategy} says; {@code services} register the remote's endpoints.
     */
    public static SimLink inProcess(String tag, IdleStrategy hostIdle, IdleStrategy remoteIdle,
            RemoteServices services) {
        return inProcess(tag, NUM, hostIdle, remoteIdle, services);
    }

    /** The same with {@code num}-entry vrings (a power of two) instead of {@value #NUM}. */
    public static SimLink inProcess(String tag, int num, IdleStrategy hostIdle, IdleStrategy remoteIdle,
            RemoteServices services) {
        Path path = freshPath(tag);
        SimDriver driver = SimDriver.host(options(path, hostIdle, num), null);
        Rptun host = Rptun.create(driver, RptunOptions.defaults().withReadyTimeout(READY));
        SimRemote remote = null;
        try {
            remote = SimRemote.start(options(path, remoteIdle, num), false, false, List.of(services));
            RpmsgDevice device = host.start();
            return new SimLink(path, host, driver, remote, null, device);
        } catch (RuntimeException e) {
            closeQuietly(host, remote, null, path, e);
            throw e;
        }
    }

    /**
     * A host in this JVM and {@code io.rptun.sim.RemoteMain} in a child JVM with {@code remoteArgs}
     * ({@code --echo}, {@code --sink}, {@code --busy-spin}); its output goes to {@code output}.
     */
    public static SimLink childJvm(String tag, IdleStrategy hostIdle, List<String> remoteArgs,
            ProcessBuilder.Redirect output) {
        return childJvm(tag, hostIdle, RptunOptions.defaults(), remoteArgs, output);
    }

    /** Like {@link #childJvm(String, IdleStrategy, List, ProcessBuilder.Redirect)} with the host's options. */
    public static SimLink childJvm(String tag, IdleStrategy hostIdle, RptunOptions hostOptions,
            List<String> remoteArgs, ProcessBuilder.Redirect output) {
        Path path = freshPath(tag);
        ChildJvmLauncher launcher = ChildJvmLauncher.of(remoteArgs, output);
        SimDriver driver = SimDriver.host(options(path, hostIdle), launcher);
        Rptun host = Rptun.create(driver, hostOptions.withReadyTimeout(READY));
        try {
            RpmsgDevice device = host.start();
            return new SimLink(path, host, driver, null, launcher, device);
        } catch (RuntimeException e) {
            closeQuietly(host, null, launcher, path, e);
            throw e;
        }
    }

    /** The host's rpmsg device. */
    public RpmsgDevice device() {
        return device;
    }

    /** The host's lifecycle. */
    public Rptun host() {
        return host;
    }

    /** The host's driver (its futex doorbell's counters). */
    public SimDriver hostDriver() {
        return hostDriver;
    }

    /** The remote running in this JVM, or null when it runs in a child JVM. */
    public @Nullable SimRemote remote() {
        return remote;
    }

    /** The child JVM's process, or null when the remote runs in this JVM. */
    public @Nullable Process childProcess() {
        return child == null ? null : child.process();
    }

    /** The shared file. */
    public Path path() {
        return path;
    }

    /** Stops the host (which stops the remote through the mailbox), closes the remote, deletes the file. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleaner);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        closeQuietly(host, remote, child, path, null);
    }

    private static void closeQuietly(Rptun host, @Nullable SimRemote remote, @Nullable ChildJvmLauncher child,
            Path path, @Nullable RuntimeException primary) {
        RuntimeException failure = primary;
        try {
            host.close();
        } catch (RuntimeException e) {
            failure = add(failure, e);
        }
        if (remote != null) {
            try {
                remote.close();
            } catch (RuntimeException e) {
                failure = add(failure, e);
            }
        }
        if (child != null) {
            child.stop(Duration.ofSeconds(5));
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            failure = add(failure, new UncheckedIOException(e));
        }
        if (failure != null && failure != primary) {
            throw failure;
        }
    }

    private static RuntimeException add(@Nullable RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
