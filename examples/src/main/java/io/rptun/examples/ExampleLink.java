package io.rptun.examples;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.sim.ChildJvmLauncher;
import io.rptun.sim.RemoteServices;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What every example starts with: a host here and a remote in a second JVM over a file in /dev/shm,
 * the remote running the example's own {@link RemoteServices} class. Closing it stops the remote and
 * removes the file.
 */
public final class ExampleLink implements AutoCloseable {
    private final Path file;
    private final Rptun host;
    private final ChildJvmLauncher launcher;

    private ExampleLink(String name, Class<? extends RemoteServices> services) {
        this.file = SimFile.shmPath("rptun-example-" + name + "-" + ProcessHandle.current().pid());
        this.launcher = ChildJvmLauncher.of(List.of("--service-class", services.getName()),
                ProcessBuilder.Redirect.INHERIT);
        this.host = Rptun.create(SimDriver.host(SimOptions.defaults(name).withPath(file), launcher),
                RptunOptions.defaults().withReadyTimeout(Duration.ofSeconds(30)));
        try {
            host.start();
        } catch (RuntimeException e) {
            host.close();
            throw e;
        }
    }

    /** Lays out the file, boots the remote JVM with {@code services} registered on it, waits until both are up. */
    public static ExampleLink start(String name, Class<? extends RemoteServices> services) {
        return new ExampleLink(name, services);
    }

    public Rptun host() {
        return host;
    }

    public RpmsgDevice device() {
        return host.device();
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            host.close();
        } finally {
            launcher.kill();
        }
    }
}
