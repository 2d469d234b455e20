package io.rptun.core.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.memory.AddressEnvironment;
import io.rptun.core.memory.SharedRegion;
import io.rptun.core.virtio.VirtqueuePort.Mode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VirtqueuePortSmokeTest {
    @Test
    void aDriverSendPortDeliversToADeviceReceivePortInOrder() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment shm = arena.allocate(0x20000, 4096);
            SharedRegion region = SharedRegion.of(shm, 0, AddressEnvironment.identity());
            Vring vring = Vring.of(shm, 8, 0x1000);
            vring.clear();
            VirtqueuePort tx = VirtqueuePort.driver("tx", vring, region, Mode.SEND, Notifier.NONE);
            for (int i = 0; i < 8; i++) {
                tx.release(tx.addBuffer(0x10000 + 512L * i, 512));
            }
            VirtqueuePort rx = VirtqueuePort.device("rx", vring, region, Mode.RECEIVE, Notifier.NONE);
            List<Long> got = new ArrayList<>();
            long next = 0;
            while (next < 100_000) {
                VringBuffer b;
                while ((b = tx.acquire()) != null) {
                    b.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, next++);
                    b.length(8);
                    tx.stage(b);
                }
                tx.flush();
                rx.receive(buf -> {
                    got.add(buf.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                    rx.submit(buf);
                }, 64);
            }
            rx.receive(buf -> {
                got.add(buf.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                rx.submit(buf);
            }, 64);
            assertThat(got).hasSize(100_000);
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.get(i)).isEqualTo(i);
            }
            assertThat(tx.publishes()).isLessThanOrEqualTo(100_000 / 8 + 1);
        }
    }
}
