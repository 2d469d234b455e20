package io.rptun.sim;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Boots the remote as a child JVM running {@link RemoteMain} over the host's file, with this JVM's
 * {@code java} and class path. {@link #stop} waits for it to exit (it does once the host stops it through
 * the mailbox) and kills it after the grace period; {@link #kill()} sends SIGKILL at once (for tests of
 * remote death). A JVM shutdown hook kills a child left running, so none outlives its host.
 */
public final class ChildJvmLauncher implements SimDriver.RemoteLauncher {
    private final List<String> remoteArgs;
    private final ProcessBuilder.Redirect output;
    private volatile @Nullable Process process;
    private final Thread reaper = new Thread(this::killNow, "sim-child-reaper");
    private boolean hooked;

    private ChildJvmLauncher(List<String> remoteArgs, ProcessBuilder.Redirect output) {
        this.remoteArgs = List.copyOf(remoteArgs);
        this.output = output;
    }

    /**
     * @param remoteArgs arguments for {@link RemoteMain} after {@code --file} (e.g. {@code --echo --sink})
     * @param output where the child's stdout and stderr go ({@code INHERIT}, a file, {@code DISCARD})
     */
    public static ChildJvmLauncher of(List<String> remoteArgs, ProcessBuilder.Redirect output) {
        return new ChildJvmLauncher(Objects.requireNonNull(remoteArgs, "remoteArgs"), Objects.requireNonNull(output));
    }

    /** The command line that runs {@link RemoteMain} in a new JVM over {@code file}. */
    public static List<String> command(Path file, List<String> remoteArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Xmx128m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(RemoteMain.class.getName());
        cmd.add("--file");
        cmd.add(file.toString());
        cmd.addAll(remoteArgs);
        return cmd;
    }

    @Override
    public synchronized void launch(Path file) {
        killNow();
        ProcessBuilder pb = new ProcessBuilder(command(file, remoteArgs)).redirectErrorStream(true).redirectOutput(output);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new SimException(SimException.Reason.IO, "could not start the remote JVM: " + e.getMessage(), e);
        }
        if (!hooked) {
            Runtime.getRuntime().addShutdownHook(reaper);
            hooked = true;
        }
    }

    /** The child, or null before the first launch. */
    public @Nullable Process process() {
        return process;
    }

    /** SIGKILLs the child (no chance to clean up) and reaps it. */
    public void kill() {
        killNow();
    }

    private void killNow() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public synchronized void stop(Duration grace) {
        Process p = process;
        if (p == null) {
            return;
        }
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                killNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killNow();
        }
        if (hooked) {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            hooked = false;
        }
    }

    @Override
    public String toString() {
        Process p = process;
        return "ChildJvmLauncher[" + (p == null ? "not launched" : "pid " + p.pid() + (p.isAlive() ? "" : " exited"))
                + ", " + String.join(" ", remoteArgs) + "]";
    }
}
