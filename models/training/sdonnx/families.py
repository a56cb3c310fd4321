"""The configurations of the real checkpoints, as their config.json files give them.

sd15      runwayml/stable-diffusion-v1-5: UNet with 8 heads and 1×1-conv projections, 768-dim
          CLIP ViT-L/14 text encoder (12 layers, quick_gelu), epsilon, PNDM "leading"
sd-turbo  stabilityai/sd-turbo (the SD 2.1 architecture): 64-dim heads, linear projections,
          1024-dim OpenCLIP ViT-H text encoder (23 of its 24 layers, gelu), epsilon, Euler
          "trailing", one step without guidance
sdxl      stabilityai/stable-diffusion-xl-base-1.0 / sdxl-turbo: three levels with 1/2/10
          transformer layers, 2048-dim context from two encoders (CLIP ViT-L and OpenCLIP
          ViT-bigG with a projection), text_time added embedding

All three share the AutoencoderKL (4 latent channels, 128/256/512/512); SDXL's differs only in its
scaling factor. The tiny decoder is TAESD's (AutoencoderTiny, 64 channels).
"""

from __future__ import annotations

SD_VAE = {
    "_class_name": "AutoencoderKL",
    "act_fn": "silu",
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "out_channels": 3,
    "sample_size": 512,
    "scaling_factor": 0.18215,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
}

TAESD = {
    "_class_name": "AutoencoderTiny",
    "act_fn": "relu",
    "decoder_block_out_channels": [64, 64, 64, 64],
    "encoder_block_out_channels": [64, 64, 64, 64],
    "force_upcast": False,
    "in_channels": 3,
    "latent_channels": 4,
    "latent_magnitude": 3,
    "latent_shift": 0.5,
    "num_decoder_blocks": [3, 3, 3, 1],
    "num_encoder_blocks": [1, 3, 3, 3],
    "out_channels": 3,
    "scaling_factor": 1.0,
    "shift_factor": 0.0,
    "upsample_fn": "nearest",
    "upsampling_scaling_factor": 2,
}

_UNET_COMMON = {
    "_class_name": "UNet2DConditionModel",
    "act_fn": "silu",
    "center_input_sample": False,
    "downsample_padding": 1,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-05,
    "norm_num_groups": 32,
    "out_channels": 4,
}

CLIP_L = {  # openai/clip-vit-large-patch14 text tower
    "_class_name": "CLIPTextModel",
    "hidden_act": "quick_gelu",
    "hidden_size": 768,
    "intermediate_size": 3072,
    "layer_norm_eps": 1e-05,
    "max_position_embeddings": 77,
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "projection_dim": 768,
    "vocab_size": 49408,
}

OPENCLIP_H = {  # laion/CLIP-ViT-H-14 text tower as SD 2.x ships it: the last layer dropped
    "_class_name": "CLIPTextModel",
    "hidden_act": "gelu",
    "hidden_size": 1024,
    "intermediate_size": 4096,
    "layer_norm_eps": 1e-05,
    "max_position_embeddings": 77,
    "num_attention_heads": 16,
    "num_hidden_layers": 23,
    "projection_dim": 512,
    "vocab_size": 49408,
}

OPENCLIP_BIGG = {  # laion/CLIP-ViT-bigG-14 text tower with its projection (SDXL text_encoder_2)
    "_class_name": "CLIPTextModelWithProjection",
    "hidden_act": "gelu",
    "hidden_size": 1280,
    "intermediate_size": 5120,
    "layer_norm_eps": 1e-05,
    "max_position_embeddings": 77,
    "num_attention_heads": 20,
    "num_hidden_layers": 32,
    "projection_dim": 1280,
    "vocab_size": 49408,
}

_SCHEDULER_COMMON = {
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
}

FAMILIES: dict[str, dict] = {
    "sd15": {
        "pipeline": "StableDiffusionPipeline",
        "unet": {
            **_UNET_COMMON,
            "attention_head_dim": 8,
            "block_out_channels": [320, 640, 1280, 1280],
            "cross_attention_dim": 768,
            "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
            "sample_size": 64,
            "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
            "use_linear_projection": False,
        },
        "text_encoders": [{"config": CLIP_L, "pad": "eos"}],
        "vae": SD_VAE,
        "scheduler": {**_SCHEDULER_COMMON, "_class_name": "PNDMScheduler",
                      "prediction_type": "epsilon", "timestep_spacing": "leading"},
        "size": 512,
        "lumen": {"steps": 25, "guidance": 7.5, "scheduler": "euler"},
    },
    "sd-turbo": {
        "pipeline": "StableDiffusionPipeline",
        "unet": {
            **_UNET_COMMON,
            "attention_head_dim": [5, 10, 20, 20],
            "block_out_channels": [320, 640, 1280, 1280],
            "cross_attention_dim": 1024,
            "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
            "sample_size": 64,
            "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
            "use_linear_projection": True,
        },
        "text_encoders": [{"config": OPENCLIP_H, "pad": "!"}],
        "vae": SD_VAE,
        "scheduler": {**_SCHEDULER_COMMON, "_class_name": "EulerDiscreteScheduler",
                      "interpolation_type": "linear", "prediction_type": "epsilon",
                      "timestep_spacing": "trailing", "use_karras_sigmas": False},
        "size": 512,
        "lumen": {"steps": 1, "guidance": 0, "scheduler": "euler"},
    },
    "sdxl": {
        "pipeline": "StableDiffusionXLPipeline",
        "unet": {
            **_UNET_COMMON,
            "addition_embed_type": "text_time",
            "addition_embed_type_num_heads": 64,
            "addition_time_embed_dim": 256,
            "attention_head_dim": [5, 10, 20],
            "block_out_channels": [320, 640, 1280],
            "cross_attention_dim": 2048,
            "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
            "projection_class_embeddings_input_dim": 2816,
            "sample_size": 128,
            "transformer_layers_per_block": [1, 2, 10],
            "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
            "use_linear_projection": True,
        },
        "text_encoders": [{"config": CLIP_L, "pad": "eos", "hidden_states": True},
                          {"config": OPENCLIP_BIGG, "pad": "!", "hidden_states": True,
                           "projection": True}],
        "vae": {**SD_VAE, "force_upcast": True, "sample_size": 1024, "scaling_factor": 0.13025},
        "scheduler": {**_SCHEDULER_COMMON, "_class_name": "EulerDiscreteScheduler",
                      "interpolation_type": "linear", "prediction_type": "epsilon",
                      "timestep_spacing": "leading", "use_karras_sigmas": False},
        "size": 1024,
        "lumen": {"steps": 30, "guidance": 5, "scheduler": "euler"},
    },
}

# Parameter counts of the real checkpoints' components as published (diffusers / transformers
# num_parameters()): the build checks that its networks have exactly these.
EXPECTED_PARAMETERS = {
    ("sd15", "unet"): 859_520_964,
    ("sd-turbo", "unet"): 865_910_724,
    ("sdxl", "unet"): 2_567_463_684,
    ("sd15", "text_encoder"): 123_060_480,
    ("sd-turbo", "text_encoder"): 340_387_840,
    ("sdxl", "text_encoder"): 123_060_480,
    ("sdxl", "text_encoder_2"): 694_659_840,
    ("any", "vae_decoder"): 49_490_199,
}
