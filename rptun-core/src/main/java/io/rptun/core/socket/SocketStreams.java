package io.rptun.core.socket;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Objects;

/** Blocking {@link InputStream} / {@link OutputStream} views of a stream socket (for the command line). */
final class SocketStreams {
    /** Long enough to mean "until something happens"; the socket wakes a waiter at every change. */
    private static final Duration FOREVER = Duration.ofDays(365);

    private SocketStreams() {
    }

    static final class In extends InputStream {
        private final RpmsgSocket socket;

        In(RpmsgSocket socket) {
            this.socket = socket;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            while (true) {
                int n = socket.read(b, off, len, FOREVER);
                if (n != 0) {
                    return n;
                }
            }
        }

        @Override
        public int available() {
            return socket.available();
        }

        @Override
        public void close() {
            socket.shutdownInput();
        }
    }

    static final class Out extends OutputStream {
        private final RpmsgSocket socket;

        Out(RpmsgSocket socket) {
            this.socket = socket;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            int done = 0;
            while (done < len) {
                done += socket.write(b, off + done, len - done, FOREVER);
            }
        }

        @Override
        public void close() {
            socket.shutdownOutput();
        }
    }
}
