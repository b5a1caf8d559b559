"""The importers' issue msgids, listed so `pybabel extract` (which reads registry/ only) finds them.

Generated from importers.catalogue(); tests/registry/test_reports_i18n.py fails when it drifts.
Delete this module once babel.cfg also extracts importers/**.py.
"""

from importers import N_

IMPORTER_MSGIDS: tuple[str, ...] = (
    N_('“%(filename)s” is not a spreadsheet (.xlsx, .xlsm, .xls or .ods expected).'),
    N_('“%(filename)s” is password-protected. Please remove the password to open (文件→信息→保护工作簿) and upload it again.'),
    N_('“%(filename)s” cannot be read (%(detail)s). Please open it in Excel, save it again and re-upload.'),
    N_('The file is too large: %(size)s; the limit is %(limit)s.'),
    N_('Sheet “%(sheet)s” has %(rows)s rows; at most %(limit)s are accepted.'),
    N_('Sheet “%(sheet)s” has %(columns)s columns; at most %(limit)s are accepted.'),
    N_('This file is not a self-report template downloaded from the system. Please download the %(expected)s template and fill it in.'),
    N_('This file is the %(found)s template; %(expected)s was expected.'),
    N_('This template is version %(found)s; the current version is %(expected)s. Please download the current template and copy your figures into it.'),
    N_('Sheet “%(sheet)s” is missing. Please use the %(year)s template.'),
    N_('No sheet with roster columns (机构名称, 统一社会信用代码 …) was found. Please use the roster template.'),
    N_('The row for %(label)s (code %(field)s) is missing from sheet “%(sheet)s”. Please use the current template.'),
    N_('Column %(label)s (code %(field)s) is missing from sheet “%(sheet)s”.'),
    N_('%(label)s is required.'),
    N_('%(label)s contains the Excel error %(value)s. Please correct the formula or type the figure.'),
    N_('%(label)s is a formula without a calculated value. Please open the file in Excel, let it calculate, and save it again (or type the figure).'),
    N_('Cells %(range)s are merged over an input cell. Please unmerge them and type one value per cell.'),
    N_('%(label)s must be a number; found “%(value)s”.'),
    N_('%(label)s must be a whole number; found “%(value)s”.'),
    N_('%(label)s must be %(expected)s; found %(value)s.'),
    N_('%(label)s is declared in %(unit)s but “%(value)s” is given in %(found_unit)s. Please convert it to %(unit)s and type the number only.'),
    N_('%(label)s was read as %(read)s%% from “%(value)s” (a fraction). Please type the percentage itself, e.g. 35 for 35%%.'),
    N_('%(label)s must be a date such as 2019-05-01; found “%(value)s”.'),
    N_('%(label)s: “%(value)s” could be read as day/month or month/day. Please write it as year-month-day, e.g. 2019-05-01.'),
    N_('%(label)s %(value)s lies after the end of the report year %(year)s.'),
    N_('%(label)s must be 是 or 否; found “%(value)s”.'),
    N_('%(label)s must be one of %(expected)s; found “%(value)s”.'),
    N_('“%(value)s” is not a unified social credit code (18 characters expected).'),
    N_('“%(value)s” is not a valid unified social credit code (check digit).'),
    N_('%(label)s “%(value)s” appears again; it is already in row %(first_row)s.'),
    N_('Sheet “%(sheet)s” lists %(rows)s rows but %(label)s is %(value)s.'),
    N_('Sheet “%(sheet)s” needs at least one row.'),
    N_('%(message_en)s (%(left)s %(op)s %(right)s does not hold).'),
    N_('%(label)s “%(value)s” does not fit %(other)s.'),
    N_('%(label)s changed from %(previous)s to %(value)s (%(change)s%%), more than ±%(limit)s%%. Please explain the change in the note column.'),
)
