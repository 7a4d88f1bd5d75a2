"""The policy stage: compliance frameworks, mapping rules, gate profiles, waivers, baselines."""
