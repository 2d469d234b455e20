package io.rptun.test.contract;

import io.rptun.core.virtio.Doorbell;
import io.rptun.sim.UnixSocketDoorbell;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAMP's socket doorbell keeps the doorbell contract: the listening end of a fresh connection, rung by
 * the connecting end's kicks (one 0x01 byte each).
 */
class UnixSocketDoorbellContractTest extends DoorbellContract {
    @TempDir
    Path dir;
    private @Nullable UnixSocketDoorbell peer;

    @Override
    protected Doorbell open() throws Exception {
        Path socket = dir.resolve("bell.sock");
        CompletableFuture<UnixSocketDoorbell> listening = CompletableFuture.supplyAsync(
                () -> UnixSocketDoorbell.listen(socket, Duration.ofSeconds(10)));
        peer = UnixSocketDoorbell.connect(socket, Duration.ofSeconds(10));
        return listening.get(20, TimeUnit.SECONDS);
    }

    @Override
    protected void ringFromPeer(Doorbell doorbell) {
        java.util.Objects.requireNonNull(peer, "peer").notify(0);
    }

    @Override
    protected void release() {
        if (peer != null) {
            peer.close();
        }
    }
}
