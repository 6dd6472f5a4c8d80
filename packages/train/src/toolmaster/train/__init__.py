"""ToolMaster trainer: teacher synthesis, episodes to SFT and GRPO data, trl + peft runners."""
