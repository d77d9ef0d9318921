package sq.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsTest {
    @TempDir
    Path tmp;

    @Test
    void writerOutputReadsBackWithAlignmentAndMetadata() throws IOException {
        Path f = tmp.resolve("a.safetensors");
        new SafetensorsWriter().metadata("format", "pt")
                .add("b.int8", new byte[]{1, -2, 3}, 3)
                .add("a.float", new float[]{1.5f, -2f, 3.25f, 0f}, 2, 2)
                .add("c.long", new long[]{7, -8}, 2)
                .write(f);
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLen % 8).isZero();
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertThat(s.metadata()).containsEntry("format", "pt");
            assertThat(s.get("a.float").toFloats()).containsExactly(1.5f, -2f, 3.25f, 0f);
            assertThat(s.get("a.float").shape()).containsExactly(2, 2);
            assertThat(s.get("b.int8").toBytes()).containsExactly(1, -2, 3);
            assertThat(s.get("c.long").toLongs()).containsExactly(7, -8);
            // widest dtype first: every tensor aligned to its element size
            for (TensorSlice t : s.tensors().values())
                assertThat(t.data().address() % t.dtype().bytes).isZero();
        }
    }

    @Test
    void writingTwiceGivesIdenticalBytes() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().add("x", new float[]{1, 2, 3}, 3).add("y", new byte[]{4}, 1);
        w.write(tmp.resolve("1"));
        w.write(tmp.resolve("2"));
        assertThat(Files.readAllBytes(tmp.resolve("1"))).isEqualTo(Files.readAllBytes(tmp.resolve("2")));
    }

    @Test
    void halfPrecisionUpcastsExactly() throws IOException {
        // bf16 0x3FC0 = 1.5, f16 0x3E00 = 1.5, f16 0xC000 = -2
        Path f = tmp.resolve("h.safetensors");
        new SafetensorsWriter().add("bf", DType.BF16, new long[]{1}, new byte[]{(byte) 0xC0, 0x3F})
                .add("hf", DType.F16, new long[]{2}, new byte[]{0x00, 0x3E, 0x00, (byte) 0xC0}).write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertThat(s.get("bf").toFloats()).containsExactly(1.5f);
            assertThat(s.get("hf").toFloats()).containsExactly(1.5f, -2f);
        }
    }

    @Test
    void truncatedDataIsRefusedNamingFileAndTensor() throws IOException {
        Path f = tmp.resolve("t.safetensors");
        new SafetensorsWriter().add("w", new float[100], 10, 10).write(f);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 4));
        assertThatThrownBy(() -> SafetensorsFile.open(f)).isInstanceOf(InputException.class)
                .hasMessageContaining("t.safetensors").hasMessageContaining("'w'").hasMessageContaining("truncated");
    }

    @Test
    void malformedHeadersAreRefused() throws IOException {
        expectErrorAt(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 12), "needs 12 bytes");
        expectErrorAt(raw("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[3],\"data_offsets\":[0,3]}}", 3), "unsupported dtype");
        expectErrorAt(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8), "overflows");
        expectErrorAt(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
        expectErrorAt(raw("{not json", 0), "not valid JSON");
        expectErrorAt(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8), "ordered range");
        Path tiny = tmp.resolve("short");
        Files.write(tiny, new byte[]{1, 2, 3});
        expectErrorAt(tiny, "shorter than");
        Path huge = tmp.resolve("huge");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        expectErrorAt(huge, "header length");
        assertThatThrownBy(() -> SafetensorsFile.open(tmp.resolve("missing.safetensors")))
                .isInstanceOf(InputException.class).hasMessageContaining("missing.safetensors: file not found");
    }

    private Path raw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = Files.createTempFile(tmp, "bad", ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private static void expectErrorAt(Path f, String fragment) {
        assertThatThrownBy(() -> SafetensorsFile.open(f)).isInstanceOf(InputException.class)
                .hasMessageStartingWith(f.toString()).hasMessageContaining(fragment);
    }
}
