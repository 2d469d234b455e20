package io.rptun.reactive.socket;

import io.rptun.core.socket.SocketListener;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/** The one listener of a connection's core socket, fanning its hints out to the receiver and the senders. */
final class SocketSignals implements SocketListener {
    private volatile @Nullable Runnable receiver;
    private final CopyOnWriteArrayList<Runnable> senders = new CopyOnWriteArrayList<>();

    void receiver(@Nullable Runnable value) {
        receiver = value;
    }

    void addSender(Runnable sender) {
        senders.add(sender);
    }

    void removeSender(Runnable sender) {
        senders.remove(sender);
    }

    @Override
    public void readable() {
        Runnable r = receiver;
        if (r != null) {
            r.run();
        }
    }

    @Override
    public void writable() {
        for (Runnable s : senders) {
            s.run();
        }
    }
}
