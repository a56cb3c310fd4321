"""Real-size Stable Diffusion architectures with random weights, exported in optimum's ONNX layout.

arch     the networks (UNet2DConditionModel, the AutoencoderKL decoder, CLIP text encoders, the
         tiny autoencoder's decoder), named parameter for parameter as diffusers / transformers
         name them, so parameter counts and names can be compared with the real checkpoints
families the configurations of SD 1.5, SD-Turbo (SD 2.1 architecture) and SDXL
weights  seeded random weights, one parameter at a time, identical for ONNX and PyTorch
export   traces a network once without its weights, then streams the weights into one external
         data file in the precision asked for (fp32, fp16, fp16 weights with fp32 compute, int8)
layout   model_index.json, the component configs and the tokenizer folders
"""
