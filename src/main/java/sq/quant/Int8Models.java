package sq.quant;

import sq.model.Embedding;
import sq.model.Layer;
import sq.model.LayerSource;
import sq.model.Model;
import sq.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds an int8 model one piece at a time from a {@link LayerSource}: the embeddings (quantized at once where the
 * head precision says so), then each decoder layer, then lm_head, so besides what is already quantized only one
 * float piece exists at any moment (a 1.1B model never needs its 4.4 GB fp32 form, nor its fp32 embeddings and head
 * together). Dynamic schemes without smoothing only (naive W8A8): smoothing and static scales need calibration first,
 * see {@link SmoothQuant}.
 */
public final class Int8Models {
    private Int8Models() {
    }

    public static Model streamNaive(LayerSource source, Scheme scheme, HeadPrecision head) {
        if (scheme.activations() == ActivationGranularity.PER_TENSOR_STATIC)
            throw new sq.io.InputException("scheme " + scheme.name() + " has static activation scales: it needs calibration (--calib)");
        ModelConfig c = source.config();
        Embedding embed = head.embedding(source.embed());
        List<Layer> layers = new ArrayList<>(c.layers());
        for (int i = 0; i < c.layers(); i++) {
            Model one = new Model(c, null, null, List.of(source.layer(i)), null, null);
            layers.add(Int8Quantizer.quantizeLayers(one, scheme, null).layers().getFirst());
        }
        return new Model(c, embed, source.positions(), layers, source.finalNorm(), head.lmHead(c, embed, () -> source.lmHead(embed)),
                source.embedNorm(), source.projectIn(), source.projectOut());
    }
}
