"""Synthetic demo data: a Dongguan-sized city, or a national-scale dataset for benchmarks."""
