"""The forecasting formulas against hand-computed cases (docs/forecasting.md)."""

from datetime import date

import pytest

from inventory import forecasting as f


def test_z_of_the_service_level_comes_from_the_normal_inverse_cdf():
    assert f.service_level_z(0.95) == pytest.approx(1.644854, abs=1e-6)
    assert f.service_level_z(0.99) == pytest.approx(2.326348, abs=1e-6)
    assert f.service_level_z(0.5) == pytest.approx(0.0, abs=1e-12)


def test_safety_stock_with_demand_variation_only():
    # 1.645 · √(7 · 2²) = 1.645 · 5.2915 = 8.7046
    assert f.safety_stock(z=1.645, demand=10, demand_std_dev=2, lead_time_days=7,
                          lead_time_std_dev_days=0) == pytest.approx(8.7046, abs=1e-3)


def test_safety_stock_with_lead_time_variation():
    # 1.645 · √(7 · 2² + 10² · 1²) = 1.645 · √128 = 18.611
    assert f.safety_stock(z=1.645, demand=10, demand_std_dev=2, lead_time_days=7,
                          lead_time_std_dev_days=1) == pytest.approx(18.611, abs=1e-3)


def test_reorder_point_is_lead_time_demand_plus_safety_stock():
    assert f.reorder_point(demand=10, lead_time_days=7, safety=8.7046) == pytest.approx(78.7046)


def test_plain_mean_and_sample_deviation_when_weights_are_equal():
    # days 8 and 12: mean 10, sample standard deviation √8
    stats = f.demand_stats(weighted_sum=20, weighted_sum_sq=8 * 8 + 12 * 12, observed_days=2, beta=1.0)
    assert stats.mean == pytest.approx(10)
    assert stats.std_dev == pytest.approx(8 ** 0.5)


def test_exponential_weights_favour_recent_days():
    # β = 0.5: yesterday (10 units) weighs 1, the day before (4 units) 0.5.
    # mean = (10 + 2) / 1.5 = 8; population variance = (100 + 8) / 1.5 − 64 = 8;
    # reliability-weight correction: 8 · 1.5² / (1.5² − (1 + 0.25)) = 18.
    stats = f.demand_stats(weighted_sum=10 + 0.5 * 4, weighted_sum_sq=100 + 0.5 * 16, observed_days=2, beta=0.5)
    assert stats.mean == pytest.approx(8)
    assert stats.std_dev == pytest.approx(18 ** 0.5)


def test_days_without_demand_count_in_the_average():
    # 30 units yesterday, nothing on the 2 days before, equal weights: 10 a day.
    stats = f.demand_stats(weighted_sum=30, weighted_sum_sq=900, observed_days=3, beta=1.0)
    assert stats.mean == pytest.approx(10)


def test_zero_demand_divides_by_nothing_and_orders_nothing():
    stats = f.demand_stats(weighted_sum=0, weighted_sum_sq=0, observed_days=0)
    assert (stats.mean, stats.std_dev) == (0.0, 0.0)
    numbers = f.forecast_numbers(stats=stats, policy=f.Policy.default())
    assert numbers == {"safety_stock": 0.0, "reorder_point": 0.0}
    assert f.days_of_cover(available=0, demand=0) is None
    assert f.stockout_date(available=50, demand=0, today=date(2026, 11, 1)) is None
    assert f.suggested_order_quantity(available=0, reorder_point=0, demand=0, review_period_days=7,
                                      minimum_order_quantity=24, case_pack=12) == 0


def test_days_of_cover_and_stockout_date():
    assert f.days_of_cover(available=45, demand=10) == pytest.approx(4.5)
    assert f.stockout_date(available=45, demand=10, today=date(2026, 11, 1)) == date(2026, 11, 5)
    assert f.stockout_date(available=0, demand=10, today=date(2026, 11, 1)) == date(2026, 11, 1)


def test_suggested_order_rounds_up_to_case_pack():
    # back up to 76.15 plus a week of 10 a day: 76.15 + 70 − 50 = 96.15 → 97 → 9 cases of 12
    assert f.suggested_order_quantity(available=50, reorder_point=76.15, demand=10, review_period_days=7,
                                      minimum_order_quantity=1, case_pack=12) == 108


def test_suggested_order_is_at_least_the_moq_in_whole_cases():
    assert f.suggested_order_quantity(available=50, reorder_point=76.15, demand=10, review_period_days=7,
                                      minimum_order_quantity=200, case_pack=12) == 204


def test_no_order_at_or_above_the_reorder_point():
    assert f.suggested_order_quantity(available=77, reorder_point=76.15, demand=10, review_period_days=7,
                                      minimum_order_quantity=1, case_pack=1) == 0


def test_default_policy_is_a_week_of_lead_time_at_95_percent():
    policy = f.Policy.default()
    assert (policy.lead_time_days, policy.lead_time_std_dev_days, policy.service_level) == (7.0, 0.0, 0.95)
    assert (policy.minimum_order_quantity, policy.case_pack) == (1, 1)
