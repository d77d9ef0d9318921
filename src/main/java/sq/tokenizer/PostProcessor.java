package sq.tokenizer;

import java.util.Arrays;
import java.util.OptionalInt;

/**
 * What tokenizer.json's post_processor adds to a single sequence when special tokens are asked for
 * ({@code encode(text, add_special_tokens=True)}): the special-token ids before it and after it. The ByteLevel
 * processor only moves offsets, so it adds nothing.
 */
record PostProcessor(int[] prefix, int[] suffix) {
    static final PostProcessor NONE = new PostProcessor(new int[0], new int[0]);

    static PostProcessor bos(int id) {
        return new PostProcessor(new int[]{id}, new int[0]);
    }

    int[] apply(int[] ids) {
        if (prefix.length == 0 && suffix.length == 0) return ids;
        int[] out = new int[prefix.length + ids.length + suffix.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(ids, 0, out, prefix.length, ids.length);
        System.arraycopy(suffix, 0, out, prefix.length + ids.length, suffix.length);
        return out;
    }

    /** The two processors of a Sequence, one after the other. */
    PostProcessor then(PostProcessor next) {
        return new PostProcessor(concat(next.prefix, prefix), concat(suffix, next.suffix));
    }

    /** The first id put before the sequence (BOS or [CLS]), if any. */
    OptionalInt first() {
        return prefix.length == 0 ? OptionalInt.empty() : OptionalInt.of(prefix[0]);
    }

    /** The last id put after the sequence (EOS or [SEP]), if any. */
    OptionalInt last() {
        return suffix.length == 0 ? OptionalInt.empty() : OptionalInt.of(suffix[suffix.length - 1]);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
