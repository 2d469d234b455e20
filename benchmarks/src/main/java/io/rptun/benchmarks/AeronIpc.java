package io.rptun.benchmarks;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;

/**
 * Aeron as a user who picks it for IPC would run it: an embedded {@link MediaDriver} with its directory
 * under {@code /dev/shm} (the temporary directory where there is none), {@link ThreadingMode#SHARED}
 * (one agent thread does the conductor's, sender's and receiver's work) idling with Agrona's
 * {@link BackoffIdleStrategy}, and an {@link Aeron} client. Every instance gets a directory of its own,
 * and {@link #close()} closes the client and the driver and deletes the directory.
 *
 * <h2>Why SHARED with back-off</h2>
 * IPC data never passes through the driver: the publisher writes the log buffer, the subscriber reads it
 * (the driver only moves the publisher's limit as subscribers advance, and handles admin). On a 2-core
 * machine a busy-spinning driver thread (DEDICATED or a busy-spin idle strategy) would take a core from
 * the publisher or the subscriber and make Aeron slower, not faster; one backing-off agent is Aeron's
 * own choice for such a machine. The log buffers keep Aeron's default IPC term length (64 MiB), what a
 * user gets without tuning; they are pre-touched ({@code termBufferSparseFile(false)}) so that page faults
 * do not land in the measurement.
 */
public final class AeronIpc implements AutoCloseable {
    /** The channel of every benchmark publication and subscription. */
    public static final String CHANNEL = "aeron:ipc";
    /**
     * What a JVM that runs Aeron 1.51 (Agrona 2) on JDK 25 needs: Agrona reaches
     * {@code jdk.internal.misc.Unsafe}.
     */
    public static final String ADD_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final MediaDriver driver;
    private final Aeron aeron;
    private final String dir;
    private final Thread cleaner;

    private AeronIpc(MediaDriver driver, Aeron aeron, String dir) {
        this.driver = driver;
        this.aeron = aeron;
        this.dir = dir;
        // A benchmark that fails ends its JVM without a tear-down: the directory must not outlive it.
        this.cleaner = new Thread(() -> IoUtil.delete(new File(dir), true), "aeron-dir-cleaner");
        Runtime.getRuntime().addShutdownHook(cleaner);
    }

    /** Launches a driver in a fresh directory and connects a client to it. */
    public static AeronIpc launch(String tag) {
        Path devShm = Path.of("/dev/shm");
        Path base = Files.isDirectory(devShm) && Files.isWritable(devShm) ? devShm
                : Path.of(System.getProperty("java.io.tmpdir"));
        String dir = base.resolve("aeron-rptun-bench-" + tag + "-" + ProcessHandle.current().pid() + "-"
                + COUNTER.incrementAndGet()).toString();
        MediaDriver.Context context = new MediaDriver.Context()
                .aeronDirectoryName(dir)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(new BackoffIdleStrategy())
                .termBufferSparseFile(false)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true);
        MediaDriver driver = MediaDriver.launchEmbedded(context);
        try {
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
            return new AeronIpc(driver, aeron, driver.aeronDirectoryName());
        } catch (RuntimeException e) {
            driver.close();
            IoUtil.delete(new File(dir), true);
            throw e;
        }
    }

    /** The client. */
    public Aeron aeron() {
        return aeron;
    }

    /** The driver's directory, for a client in another JVM. */
    public String dir() {
        return dir;
    }

    /** Closes the client and the driver; deletes the directory. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleaner);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        try {
            aeron.close();
        } finally {
            try {
                driver.close();
            } finally {
                IoUtil.delete(new File(dir), true);
            }
        }
    }
}
